package dev.peregrine.server.impl;

import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.server.Envelope;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The current transaction; written by {@link ServerConnection} only, on its context. */
final class EnvelopeImpl implements Envelope {

  private final SmtpCommand.MailFrom mail;
  private final List<SmtpCommand.RcptTo> recipients = new ArrayList<>(4);
  private final List<SmtpCommand.RcptTo> view = Collections.unmodifiableList(recipients);

  EnvelopeImpl(SmtpCommand.MailFrom mail) {
    this.mail = mail;
  }

  void add(SmtpCommand.RcptTo rcpt) {
    recipients.add(rcpt);
  }

  @Override
  public SmtpCommand.MailFrom mail() {
    return mail;
  }

  @Override
  public List<SmtpCommand.RcptTo> recipients() {
    return view;
  }

  @Override
  public String toString() {
    return "Envelope[" + mail.path() + " -> " + recipients.size() + " recipients]";
  }
}
