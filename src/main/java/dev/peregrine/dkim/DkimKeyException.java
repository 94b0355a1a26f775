package dev.peregrine.dkim;

import java.nio.file.Path;

/** A DKIM private key that cannot be used: the message names the file and the reason. */
public class DkimKeyException extends IllegalArgumentException {

  private final transient Path file;

  public DkimKeyException(Path file, String reason, Throwable cause) {
    super("DKIM key " + file + ": " + reason, cause);
    this.file = file;
  }

  public DkimKeyException(Path file, String reason) {
    this(file, reason, null);
  }

  /** The key file. */
  public Path file() {
    return file;
  }
}
