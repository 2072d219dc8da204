// Passkey ceremonies (WebAuthn), for the blocks of components/src/passkeys.rs:
// [data-passkey="sign-in"] on /login, [data-passkey="step"] on /login/code,
// and the form [data-passkey="register"] on /account.
//
// Each ceremony is two JSON requests to the URLs in the block's data-options
// and data-finish attributes, with the page's CSRF token in X-CSRF-Token: the
// first returns the options for navigator.credentials, the second takes the
// authenticator's answer and returns {"redirect": url}. A refusal returns
// {"error", "error_description"}, shown in the block's data-passkey-error
// region. Binary fields travel as base64url (WebAuthn §5.1.3 calls them
// ArrayBuffers; JSON cannot carry those).
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      var copy = Object.assign({}, d);
      copy.id = toBytes(d.id);
      return copy;
    });
  }

  function creationOptions(json) {
    var o = Object.assign({}, json.publicKey);
    o.challenge = toBytes(o.challenge);
    o.user = Object.assign({}, o.user, { id: toBytes(o.user.id) });
    if (o.excludeCredentials) o.excludeCredentials = descriptors(o.excludeCredentials);
    return o;
  }

  function requestOptions(json) {
    var o = Object.assign({}, json.publicKey);
    o.challenge = toBytes(o.challenge);
    if (o.allowCredentials) o.allowCredentials = descriptors(o.allowCredentials);
    return o;
  }

  function extensions(credential) {
    try {
      return credential.getClientExtensionResults() || {};
    } catch (e) {
      return {};
    }
  }

  function registration(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toBase64url(r.attestationObject),
        clientDataJSON: toBase64url(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : undefined,
      },
      extensions: extensions(credential),
    };
  }

  function assertion(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toBase64url(r.authenticatorData),
        clientDataJSON: toBase64url(r.clientDataJSON),
        signature: toBase64url(r.signature),
        userHandle: r.userHandle ? toBase64url(r.userHandle) : null,
      },
      extensions: extensions(credential),
    };
  }

  // A POST of `body` as JSON; resolves to the parsed answer, rejects with
  // the sentence to show.
  function post(block, url, body) {
    var token = block.querySelector('input[name="csrf_token"]');
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": token ? token.value : "",
      },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (json) {
          if (response.ok) return json;
          throw new Error(json.error_description || "Something went wrong. Reload the page and try again.");
        });
    });
  }

  function showError(block, message) {
    var region = block.querySelector("[data-passkey-error]");
    if (!region) return;
    region.textContent = message;
    region.hidden = !message;
  }

  // The browser's own refusals: the person closed the prompt, or no
  // passkey matched. Said plainly; other errors carry their own text.
  function explain(error) {
    if (error && error.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This device already holds one of your passkeys.";
    }
    if (error && error.name === "AbortError") return "";
    return (error && error.message) || "The passkey could not be used.";
  }

  function busy(block, on) {
    Array.prototype.forEach.call(block.querySelectorAll("button"), function (b) {
      b.disabled = on;
    });
  }

  // Signing in (or the second step): options, the authenticator, the answer.
  function authenticate(block, mediation, signal) {
    var body = block.dataset.next !== undefined ? { next: block.dataset.next } : {};
    return post(block, block.dataset.options, {})
      .then(function (json) {
        var request = { publicKey: requestOptions(json) };
        if (mediation) request.mediation = mediation;
        if (signal) request.signal = signal;
        return navigator.credentials.get(request);
      })
      .then(function (credential) {
        if (!credential) throw new Error("No passkey was chosen.");
        body.credential = assertion(credential);
        return post(block, block.dataset.finish, body);
      })
      .then(function (json) {
        window.location.assign(json.redirect);
      });
  }

  function setUpAuthentication(block) {
    block.hidden = false;
    var conditional = null;
    var button = block.querySelector("[data-passkey-start]");

    // Conditional UI: the username field's autofill offers passkeys
    // (autocomplete="username webauthn"), where the browser can.
    var field = document.querySelector('input[autocomplete~="webauthn"]');
    if (field && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available) return;
        conditional = new AbortController();
        authenticate(block, "conditional", conditional.signal).catch(function (error) {
          if (error && error.name !== "AbortError" && error.name !== "NotAllowedError") {
            showError(block, explain(error));
          }
        });
      });
    }

    if (!button) return;
    button.addEventListener("click", function () {
      // One ceremony at a time: the button's replaces the autofill one.
      if (conditional) {
        conditional.abort();
        conditional = null;
      }
      showError(block, "");
      busy(block, true);
      authenticate(block, null, null).catch(function (error) {
        busy(block, false);
        showError(block, explain(error));
      });
    });
  }

  function setUpRegistration(form) {
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = form.elements.name.value;
      showError(form, "");
      busy(form, true);
      post(form, form.dataset.options, { name: name })
        .then(function (json) {
          return navigator.credentials.create({ publicKey: creationOptions(json) });
        })
        .then(function (credential) {
          if (!credential) throw new Error("No passkey was made.");
          return post(form, form.dataset.finish, { name: name, credential: registration(credential) });
        })
        .then(function (json) {
          window.location.assign(json.redirect);
        })
        .catch(function (error) {
          busy(form, false);
          showError(form, explain(error));
        });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey]"), function (el) {
      if (el.dataset.passkeyReady) return;
      el.dataset.passkeyReady = "1";
      if (el.dataset.passkey === "register") setUpRegistration(el);
      else setUpAuthentication(el);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
