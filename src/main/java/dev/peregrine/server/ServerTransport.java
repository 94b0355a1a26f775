package dev.peregrine.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.SelectStrategy;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.IntSupplier;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.impl.transports.EpollTransport;
import io.vertx.core.impl.transports.NioTransport;
import io.vertx.core.transport.Transport;

import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A Vert.x whose listening sockets accept on the I/O event loops, as {@code serve} runs.
 *
 * <p>Vert.x accepts every connection on a thread of its own (the acceptor event loop) and hands the new socket
 * to the event loop that will serve it: per connection a wake-up of the acceptor, a task queued to the event
 * loop and a wake-up of that loop, which on two cores cost as much CPU as Peregrine's whole SMTP session of a
 * connection-per-message client. With these transports the listening socket is registered on one of the I/O
 * event loops instead: a connection that loop serves is registered where it was accepted, without a thread
 * hop, and the others are handed over as before, minus one thread. Accepting is non-blocking (Netty accepts at
 * most 16 connections per read before it serves other sockets), so it fits on an event loop like any read.
 *
 * <p>Each event loop also polls briefly before it sleeps: when it has run out of work it asks the kernel for
 * ready sockets without blocking, for up to {@code peregrine.event-loop-spin-micros} (default 10 µs), and only
 * then blocks in {@code epoll_wait}/{@code select}. A peer writing to a sleeping loop pays for waking it (on a
 * virtual machine an interprocessor interrupt: measured at a tenth of {@code smtp-source}'s CPU per message),
 * and under load the next command is usually microseconds away. The spin adapts: after a spin that found
 * nothing the loop only tries again on every 16th sleep, until a spin finds work, so a lightly loaded or
 * one-session server sleeps at once ({@link AdaptiveSpin}). {@code -Dperegrine.event-loop-spin-micros=0}
 * turns it off.
 *
 * <p>Netty's native epoll transport where it loads and {@link VertxOptions#getPreferNativeTransport()} asks
 * for it (the fat jar carries it for Linux x86-64 and aarch64), NIO otherwise; both keep every other behaviour
 * of Vert.x's own transport (they extend it). {@code -Dperegrine.accept-on-event-loop=false} gives Vert.x's
 * transports unchanged. Relies on Vert.x creating its I/O event loop group before the acceptor group (Vert.x
 * 5.0); were that order to change, the acceptor keeps its own thread as in plain Vert.x.
 */
public final class ServerTransport {

  private ServerTransport() {
  }

  /** {@code Vertx.builder().with(options).withTransport(transport(options)).build()}. */
  public static Vertx vertx(VertxOptions options) {
    return Vertx.builder().with(options).withTransport(transport(options)).build();
  }

  /**
   * The transport Vert.x would choose for {@code options}, accepting on the event loops: epoll when the
   * options prefer a native transport and epoll is available, else NIO (also when the property
   * {@code peregrine.accept-on-event-loop} is {@code false}: then Vert.x's own transports, unchanged).
   */
  public static Transport transport(VertxOptions options) {
    boolean epoll = options.getPreferNativeTransport() && Transport.EPOLL != null && Transport.EPOLL.available();
    if ("false".equals(System.getProperty("peregrine.accept-on-event-loop"))) {
      return epoll ? Transport.EPOLL : Transport.NIO;
    }
    long spin = TimeUnit.MICROSECONDS.toNanos(spinMicros());
    if (spin < 0 || spin > MAX_SPIN_NANOS) {
      throw new IllegalArgumentException("peregrine.event-loop-spin-micros must be 0 to "
          + TimeUnit.NANOSECONDS.toMicros(MAX_SPIN_NANOS) + ", not " + TimeUnit.NANOSECONDS.toMicros(spin));
    }
    return epoll ? new Accepting("epoll", Transport.EPOLL, () -> new Epoll(spin))
        : new Accepting("nio", Transport.NIO, () -> new Nio(spin));
  }

  /**
   * How {@code vertx} accepts and waits, for a start-up line: {@code ", accepting on the event loops, polling
   * up to N us before sleeping"} when it was built here, {@code ", acceptor thread"} otherwise.
   */
  public static String describe(Vertx vertx) {
    return vertx instanceof VertxInternal v && v.acceptorEventLoopGroup() == v.eventLoopGroup()
        ? ", accepting on the event loops, polling up to " + spinMicros() + " us before sleeping"
        : ", acceptor thread";
  }

  private static long spinMicros() {
    return Long.getLong("peregrine.event-loop-spin-micros", DEFAULT_SPIN_MICROS);
  }

  /** How long an event loop polls before it sleeps, unless {@code peregrine.event-loop-spin-micros} says. */
  public static final long DEFAULT_SPIN_MICROS = 10;
  /** At most a millisecond: longer would be busy-waiting, not a bridge over a round trip. */
  private static final long MAX_SPIN_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** A public transport whose implementation is a fresh {@code Epoll} or {@code Nio} for each Vert.x. */
  private record Accepting(String name, Transport base,
      Supplier<io.vertx.core.spi.transport.Transport> factory) implements Transport {
    @Override
    public boolean available() {
      return base.available();
    }

    @Override
    public Throwable unavailabilityCause() {
      return base.unavailabilityCause();
    }

    @Override
    public io.vertx.core.spi.transport.Transport implementation() {
      return factory.get();
    }
  }

  /**
   * The I/O group is made first and kept; asked for the acceptor group afterwards, a transport answers with
   * the I/O group itself. One per Vert.x, used from its constructor only.
   */
  private static final class Groups {
    private EventLoopGroup ioGroup;

    EventLoopGroup get(int type, Supplier<EventLoopGroup> create) {
      if (type == io.vertx.core.spi.transport.Transport.ACCEPTOR_EVENT_LOOP_GROUP && ioGroup != null) {
        return ioGroup;
      }
      EventLoopGroup group = create.get();
      if (type == io.vertx.core.spi.transport.Transport.IO_EVENT_LOOP_GROUP) {
        ioGroup = group;
      }
      return group;
    }
  }

  private static final class Epoll extends EpollTransport {
    private final Groups groups = new Groups();
    private final long spinNanos;

    Epoll(long spinNanos) {
      this.spinNanos = spinNanos;
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return spinNanos == 0 ? super.ioHandlerFactory() : EpollIoHandler.newFactory(0, () -> new AdaptiveSpin(spinNanos));
    }

    @Override
    public EventLoopGroup eventLoopGroup(int type, int threads, ThreadFactory factory, int ioRatio) {
      return groups.get(type, () -> super.eventLoopGroup(type, threads, factory, ioRatio));
    }
  }

  /** Over NIO: an {@link NioTransport}, so Vert.x reports no native transport. */
  private static final class Nio extends NioTransport {
    private final Groups groups = new Groups();
    private final long spinNanos;

    Nio(long spinNanos) {
      this.spinNanos = spinNanos;
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return spinNanos == 0 ? super.ioHandlerFactory()
          : NioIoHandler.newFactory(SelectorProvider.provider(), () -> new AdaptiveSpin(spinNanos));
    }

    @Override
    public EventLoopGroup eventLoopGroup(int type, int threads, ThreadFactory factory, int ioRatio) {
      return groups.get(type, () -> super.eventLoopGroup(type, threads, factory, ioRatio));
    }
  }

  /**
   * Netty's choice before each wait of an event loop (one instance per loop, used by its thread only): with
   * work queued, or sockets ready now, go on at once, as Netty's default does; otherwise poll without
   * blocking for up to {@code spinNanos}, then block. A spin that found nothing disables spinning except on
   * every 16th wait, so the cost of an idle loop's spin is bounded by {@code spinNanos} per 16 waits.
   */
  static final class AdaptiveSpin implements SelectStrategy {
    private final long spinNanos;
    private boolean spinning = true;
    private int waits;

    AdaptiveSpin(long spinNanos) {
      this.spinNanos = spinNanos;
    }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
      int ready = selectNow.get();
      if (ready > 0 || hasTasks) {
        return ready;
      }
      if (!spinning && (++waits & 15) != 0) {
        return SELECT;
      }
      long end = System.nanoTime() + spinNanos;
      do {
        Thread.onSpinWait();
        ready = selectNow.get();
        if (ready > 0) {
          spinning = true;
          return ready;
        }
      } while (System.nanoTime() - end < 0);
      spinning = false;
      return SELECT;
    }
  }
}
