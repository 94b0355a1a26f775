package dev.peregrine.bench;

import org.openjdk.jmh.infra.Blackhole;

import java.util.function.Consumer;

/**
 * A reusable consumer that hands everything to the current invocation's Blackhole, so a benchmark does not
 * allocate a capturing lambda ({@code bh::consume}) per call and the allocation profile shows the codec's
 * own allocations only.
 */
final class BlackholeSink<T> implements Consumer<T> {

  Blackhole bh;
  long count;

  @Override
  public void accept(T t) {
    count++;
    bh.consume(t);
  }
}
