package dev.peregrine.protocol;

/**
 * Size limits of the wire codec. Defaults are RFC 5321 §4.5.3.1's minimums, which are also what every
 * common MTA enforces for commands and paths; replies get a more generous line limit because real servers
 * exceed 512 octets in banners and EHLO lists.
 *
 * @param commandLine longest command line, CRLF included (RFC 5321: 512)
 * @param localPart longest local part in octets (64)
 * @param domain longest domain in octets (255)
 * @param path longest path, angle brackets included, in octets (256)
 * @param replyLine longest reply line, CRLF included
 * @param replyLines most lines in one multi-line reply
 */
public record CodecLimits(int commandLine, int localPart, int domain, int path, int replyLine, int replyLines) {

  public static final CodecLimits DEFAULT = new CodecLimits(512, 64, 255, 256, 4096, 512);

  public CodecLimits {
    if (commandLine < 16 || localPart < 1 || domain < 1 || path < 4 || replyLine < 8 || replyLines < 1) {
      throw new IllegalArgumentException("codec limits too small: " + commandLine + "/" + localPart + "/"
          + domain + "/" + path + "/" + replyLine + "/" + replyLines);
    }
  }

  public CodecLimits withCommandLine(int commandLine) {
    return new CodecLimits(commandLine, localPart, domain, path, replyLine, replyLines);
  }

  public CodecLimits withReplyLine(int replyLine) {
    return new CodecLimits(commandLine, localPart, domain, path, replyLine, replyLines);
  }
}
