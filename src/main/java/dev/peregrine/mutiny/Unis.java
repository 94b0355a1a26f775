package dev.peregrine.mutiny;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.function.Supplier;

/**
 * Turns a Future-returning call into a lazy {@link Uni}: each subscription makes the call once, on the
 * facade's context (so that a subscriber on any thread drives the Future API from the Vert.x context it
 * expects), and the item or failure arrives there. The shape the Vert.x Mutiny generator gives its
 * {@code Uni} methods, written by hand because those bindings do not resolve for Vert.x 5 here.
 */
final class Unis {

  private Unis() {
  }

  static <T> Uni<T> of(Context context, Supplier<Future<T>> call) {
    return Uni.createFrom().emitter(emitter -> {
      Runnable start = () -> {
        Future<T> f;
        try {
          f = call.get();
        } catch (RuntimeException e) {
          emitter.fail(e);
          return;
        }
        f.onComplete(ar -> {
          if (ar.succeeded()) {
            emitter.complete(ar.result());
          } else {
            emitter.fail(ar.cause());
          }
        });
      };
      if (Context.isOnVertxThread() && io.vertx.core.Vertx.currentContext() == context) {
        start.run();
      } else {
        context.runOnContext(v -> start.run());
      }
    });
  }
}
