package dev.peregrine.relay.spool;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Spool settings: defaults, JSON and copy round trips, and the unsafe mode only when named in full. */
class SpoolOptionsTest {

  @Test
  void defaults() {
    SpoolOptions o = new SpoolOptions();
    assertThat(o.getDir()).isEqualTo(SpoolOptions.DEFAULT_DIR);
    assertThat(o.getDurability()).isEqualTo(Durability.FSYNC);
    assertThat(o.getBatchMaxEntries()).isEqualTo(64);
    assertThat(o.getBatchMaxDelay()).isEqualTo(Duration.ofMillis(2));
    assertThat(o.getSegmentSize()).isEqualTo(64L << 20);
    assertThat(new SpoolOptions(new JsonObject())).isEqualTo(o);
  }

  @Test
  void roundTripsThroughJsonAndCopy() {
    SpoolOptions o = new SpoolOptions().setDir("/var/spool/peregrine").setDurability(Durability.UNSAFE_NO_FSYNC)
        .setBatchMaxEntries(128).setBatchMaxDelay(Duration.ofMillis(5)).setSegmentSize(1 << 20);
    assertThat(new SpoolOptions(o.toJson())).isEqualTo(o);
    assertThat(new SpoolOptions(o.toJson()).toJson()).isEqualTo(o.toJson());
    assertThat(new SpoolOptions(o)).isEqualTo(o).isNotSameAs(o);
    assertThat(new SpoolOptions(new SpoolOptions().setBatchMaxDelay(Duration.ZERO).toJson()).getBatchMaxDelay()).isZero();
    SpoolOptions fromYamlStyle = new SpoolOptions(new JsonObject().put("dir", "q").put("durability", "fsync")
        .put("batch-max-entries", 8).put("batch-max-delay", "10ms").put("segment-size", 4096));
    assertThat(fromYamlStyle.getBatchMaxDelay()).isEqualTo(Duration.ofMillis(10));
    assertThat(new SpoolOptions(new JsonObject().put("batch-max-delay", 0)).getBatchMaxDelay()).isZero();
  }

  @Test
  void unsafeModeOnlyWhenNamedInFull() {
    assertThat(new SpoolOptions(new JsonObject().put("durability", "unsafe-no-fsync")).getDurability())
        .isEqualTo(Durability.UNSAFE_NO_FSYNC);
    assertThat(Durability.of("UNSAFE-NO-FSYNC")).isEqualTo(Durability.UNSAFE_NO_FSYNC);
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "off", "false", "unsafe", "no-fsync", "nofsync", "async", ""})
  void anythingElseThatSoundsLikeNoFsyncIsRefused(String value) {
    assertThatThrownBy(() -> new SpoolOptions(new JsonObject().put("durability", value)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsafe-no-fsync");
  }

  @Test
  void badValuesNameTheirKey() {
    assertThatThrownBy(() -> new SpoolOptions(new JsonObject().put("durability", false))).hasMessageContaining("durability");
    assertThatThrownBy(() -> new SpoolOptions(new JsonObject().put("batch-max-entries", 0))).hasMessageContaining("batch-max-entries");
    assertThatThrownBy(() -> new SpoolOptions(new JsonObject().put("batch-max-delay", "soon"))).hasMessageContaining("batch-max-delay");
    assertThatThrownBy(() -> new SpoolOptions(new JsonObject().put("segment-size", 1.5))).hasMessageContaining("segment-size");
    assertThatThrownBy(() -> new SpoolOptions(new JsonObject().put("segment-size", 100))).hasMessageContaining("segment-size");
    assertThatThrownBy(() -> new SpoolOptions(new JsonObject().put("dir", ""))).hasMessageContaining("dir");
    assertThatThrownBy(() -> new SpoolOptions(new JsonObject().put("fsync", true))).hasMessageContaining("'fsync'");
  }
}
