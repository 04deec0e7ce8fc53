// Passkey (WebAuthn) enrolment and verification for the MFA pages. Static, no inline script:
// the page names the JSON endpoints in data-begin / data-complete and holds a CSRF token in
// any of its forms (or the csrftoken cookie). The server checks everything; this file only
// moves bytes between the broker and navigator.credentials.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i += 1) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) { return field.value; }
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || "The broker refused this passkey.");
          error.reason = data.reason;
          throw error;
        }
        return data;
      });
    });
  }

  function say(text) {
    var status = document.getElementById("passkey-status");
    if (status) { status.textContent = text; status.hidden = false; }
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    return { publicKey: options };
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    return { publicKey: options };
  }

  // The PublicKeyCredential as the JSON py_webauthn reads: binary fields base64url-encoded.
  function asJson(credential, response) {
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: response
    };
  }

  function registration(credential) {
    var response = credential.response;
    return asJson(credential, {
      clientDataJSON: toText(response.clientDataJSON),
      attestationObject: toText(response.attestationObject),
      transports: response.getTransports ? response.getTransports() : []
    });
  }

  function assertion(credential) {
    var response = credential.response;
    return asJson(credential, {
      clientDataJSON: toText(response.clientDataJSON),
      authenticatorData: toText(response.authenticatorData),
      signature: toText(response.signature),
      userHandle: response.userHandle ? toText(response.userHandle) : null
    });
  }

  function failed(error) {
    say((error.message || "The passkey did not answer.") + (error.reason ? " (" + error.reason + ")" : ""));
  }

  function showCodes(codes, next) {
    var list = document.getElementById("recovery-code-list");
    codes.forEach(function (code) {
      var item = document.createElement("li");
      item.textContent = code;
      list.appendChild(item);
    });
    document.getElementById("recovery-continue").href = next;
    document.getElementById("recovery-codes").hidden = false;
    document.getElementById("passkey-register").hidden = true;
  }

  var register = document.getElementById("passkey-register");
  if (register) {
    document.getElementById("passkey-register-button").addEventListener("click", function () {
      say("Follow your browser's prompt…");
      post(register.dataset.begin)
        .then(function (options) { return navigator.credentials.create(creationOptions(options)); })
        .then(function (credential) { return post(register.dataset.complete, registration(credential)); })
        .then(function (done) {
          if (done.recovery_codes) {
            say("Passkey added.");
            showCodes(done.recovery_codes, done.redirect_url);
          } else {
            window.location.assign(done.redirect_url);
          }
        })
        .catch(failed);
    });
  }

  var verify = document.getElementById("passkey-verify");
  if (verify) {
    document.getElementById("passkey-verify-button").addEventListener("click", function () {
      say("Follow your browser's prompt…");
      post(verify.dataset.begin)
        .then(function (options) { return navigator.credentials.get(requestOptions(options)); })
        .then(function (credential) { return post(verify.dataset.complete, assertion(credential)); })
        .then(function (done) { window.location.assign(done.redirect_url); })
        .catch(failed);
    });
  }
})();
