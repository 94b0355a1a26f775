package dev.peregrine.test;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

/**
 * A Vert.x instance per test with the tight blocked-thread limit ({@link BlockedThreadDetector#vertx()}),
 * closed after the test's own teardown (JUnit runs a subclass's {@code @AfterEach} first); a blocked-thread
 * warning during the test fails it.
 */
@ExtendWith(BlockedThreadDetector.class)
public abstract class VertxFixture {

  protected Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = newVertx();
  }

  /** The test's Vert.x: {@link BlockedThreadDetector#vertx()}, or as a subclass builds it from its options. */
  protected Vertx newVertx() {
    return BlockedThreadDetector.vertx();
  }

  @AfterEach
  void stopVertx() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
  }
}
