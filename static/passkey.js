// Passkeys: the WebAuthn ceremonies behind the passkey widgets, with no
// inline script. A widget names the URL its answer goes to in one of
// data-passkey-enrol / -verify / -login / -reauth, and carries the CSRF
// token (data-csrf) and its messages (data-msg-*, localised by the server).
// A click asks URL + "/options" for a challenge (a same-origin POST; the
// server keeps the challenge), runs navigator.credentials, and posts the
// answer back through a normal form, so the server answers with a page.
// A refused answer comes back as ?passkey=<reason>, shown in the widget.
"use strict";

(function () {
  var MODES = ["enrol", "verify", "login", "reauth"];

  // base64url text to bytes, and back.
  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var raw = window.atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return window.btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeIds(list) {
    return (list || []).map(function (credential) {
      return Object.assign({}, credential, { id: toBytes(credential.id) });
    });
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    options.excludeCredentials = decodeIds(options.excludeCredentials);
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.allowCredentials = decodeIds(options.allowCredentials);
    return options;
  }

  function registration(credential) {
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toText(credential.response.attestationObject),
        clientDataJSON: toText(credential.response.clientDataJSON)
      },
      extensions: {}
    };
  }

  function assertion(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toText(response.authenticatorData),
        clientDataJSON: toText(response.clientDataJSON),
        signature: toText(response.signature),
        userHandle: response.userHandle ? toText(response.userHandle) : null
      },
      extensions: {}
    };
  }

  // Shows a message in the widget (or hides it when there is none).
  function show(widget, text) {
    var status = widget.querySelector(".passkey-status");
    if (status) {
      status.textContent = text || "";
      status.hidden = !text;
    }
  }

  function say(widget, reason) {
    show(widget, widget.getAttribute("data-msg-" + reason) ||
      widget.getAttribute("data-msg-failed"));
  }

  // Posts the fields as a normal form: the next page comes from the server.
  function post(url, fields) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    form.hidden = true;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function reasonOf(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "AbortError") {
      return "cancelled";
    }
    return name === "InvalidStateError" ? "duplicate" : "failed";
  }

  function start(widget, mode, url, button) {
    var csrf = widget.getAttribute("data-csrf") || "";
    button.disabled = true;
    show(widget, "");
    fetch(url + "/options", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new URLSearchParams({ csrf: csrf })
    }).then(function (response) {
      if (response.redirected) {
        // Sent elsewhere first (a step-up, or the sign-in has moved on).
        window.location.assign(response.url);
        return null;
      }
      if (!response.ok) {
        throw new Error("options: " + response.status);
      }
      return response.json();
    }).then(function (options) {
      if (!options) {
        return null;
      }
      if (options.error) {
        show(widget, options.error);
        return null;
      }
      if (mode === "enrol") {
        return navigator.credentials
          .create({ publicKey: creationOptions(options.publicKey) })
          .then(registration);
      }
      return navigator.credentials
        .get({ publicKey: requestOptions(options.publicKey) })
        .then(assertion);
    }).then(function (answer) {
      if (!answer) {
        button.disabled = false;
        return;
      }
      var fields = { csrf: csrf, credential: JSON.stringify(answer) };
      var name = widget.querySelector("input[name=name]");
      if (name) {
        fields.name = name.value;
      }
      if (widget.hasAttribute("data-next")) {
        fields.next = widget.getAttribute("data-next");
      }
      post(url, fields);
    }).catch(function (error) {
      button.disabled = false;
      say(widget, reasonOf(error));
    });
  }

  function init() {
    var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
    var reason = new URLSearchParams(window.location.search).get("passkey");
    MODES.forEach(function (mode) {
      var widgets = document.querySelectorAll("[data-passkey-" + mode + "]");
      Array.prototype.forEach.call(widgets, function (widget) {
        var url = widget.getAttribute("data-passkey-" + mode);
        var fallback = widget.querySelector(".passkey-fallback");
        var controls = widget.querySelector(".passkey-controls");
        var button = widget.querySelector(".passkey-start");
        if (!supported || !button) {
          if (fallback) {
            fallback.textContent = widget.getAttribute("data-msg-unsupported") || "";
          }
          return;
        }
        if (fallback) {
          fallback.hidden = true;
        }
        if (controls) {
          controls.hidden = false;
        }
        button.addEventListener("click", function () {
          start(widget, mode, url, button);
        });
        if (reason) {
          say(widget, reason);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
