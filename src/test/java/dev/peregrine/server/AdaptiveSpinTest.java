package dev.peregrine.server;

import io.netty.channel.SelectStrategy;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ServerTransport.AdaptiveSpin}: when an event loop polls before it sleeps, and when it stops trying. */
class AdaptiveSpinTest {

  /** A non-blocking poll that answers from a script by call number, and counts its calls. */
  private static final class Poll implements io.netty.util.IntSupplier {
    final IntUnaryOperator script;
    int calls;

    Poll(IntUnaryOperator script) {
      this.script = script;
    }

    @Override
    public int get() {
      return script.applyAsInt(++calls);
    }
  }

  private static final long SPIN = TimeUnit.MICROSECONDS.toNanos(200);

  @Test
  void readySocketsOrQueuedTasksGoOnAtOnce() throws Exception {
    ServerTransport.AdaptiveSpin spin = new ServerTransport.AdaptiveSpin(SPIN);
    Poll ready = new Poll(n -> 3);
    assertThat(spin.calculateStrategy(ready, false)).isEqualTo(3);
    assertThat(ready.calls).isEqualTo(1);
    Poll none = new Poll(n -> 0);
    assertThat(spin.calculateStrategy(none, true)).as("tasks to run: no wait, no spin").isZero();
    assertThat(none.calls).isEqualTo(1);
  }

  @Test
  void aSpinThatFindsWorkReturnsIt() throws Exception {
    ServerTransport.AdaptiveSpin spin = new ServerTransport.AdaptiveSpin(TimeUnit.SECONDS.toNanos(10));
    Poll third = new Poll(n -> n == 3 ? 1 : 0);
    assertThat(spin.calculateStrategy(third, false)).isEqualTo(1);
    assertThat(third.calls).isEqualTo(3);
  }

  @Test
  void aFruitlessSpinStopsSpinningExceptOnEverySixteenthWait() throws Exception {
    ServerTransport.AdaptiveSpin spin = new ServerTransport.AdaptiveSpin(SPIN);
    Poll idle = new Poll(n -> 0);
    assertThat(spin.calculateStrategy(idle, false)).isEqualTo(SelectStrategy.SELECT);
    assertThat(idle.calls).as("polled until the spin ran out").isGreaterThan(1);
    for (int wait = 1; wait <= 15; wait++) {
      Poll once = new Poll(n -> 0);
      assertThat(spin.calculateStrategy(once, false)).isEqualTo(SelectStrategy.SELECT);
      assertThat(once.calls).as("wait %d sleeps at once", wait).isEqualTo(1);
    }
    Poll probe = new Poll(n -> n == 2 ? 5 : 0);
    assertThat(spin.calculateStrategy(probe, false)).as("the 16th wait spins, and finds work").isEqualTo(5);
    // Work found: the next wait spins again.
    Poll again = new Poll(n -> n == 2 ? 1 : 0);
    assertThat(spin.calculateStrategy(again, false)).isEqualTo(1);
    assertThat(again.calls).isEqualTo(2);
  }
}
