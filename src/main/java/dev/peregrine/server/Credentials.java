package dev.peregrine.server;

/**
 * What a client presented in AUTH (RFC 4954): the mechanism, the identity to act as (empty when the client
 * gave none, RFC 4616 authzid), the user name and the password. {@code toString()} never shows the password.
 */
public record Credentials(String mechanism, String authorizationId, String username, String password) {

  @Override
  public String toString() {
    return "Credentials[" + mechanism + ", user=" + username + (authorizationId.isEmpty() ? "" : ", as=" + authorizationId) + "]";
  }
}
