/* component-client.js: the browser half of component_framework. No build step; load it
 * after htmx (and its ws extension), which do the requests, queueing and swapping:
 * - the page sends the CSRF header through htmx, e.g. on <body>:
 *   hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}';
 * - every component root carries hx-sync="this:queue all" (rendered by the framework):
 *   one request per component at a time, later ones wait in order. htmx sends no request
 *   for an element that was removed meanwhile, e.g. by the swap of the previous response.
 *
 * For requests sent from inside a component root (the element carrying data-cf-state):
 * - the root's token goes in the `state` parameter;
 * - the OptimisticMixin patch for the event (data-cf-optimistic) is applied at once:
 *   [data-cf-bind=key] gets the value as text, [data-cf-show=key] is shown when truthy;
 * - on an error the exact pre-event DOM comes back and the JSON {"error"} is shown as
 *   text in [data-cf-error] (created if the root has none); never as HTML;
 * - a response whose root has left the page meanwhile (e.g. replaced by a WebSocket
 *   push) is stale: it is discarded and `cf:discard` is dispatched on the document;
 * - a JSON refusal stops at the window, so django-htmx's DEBUG page swap never sees it.
 * WebSocket (htmx ws extension): on every (re)open the socket element's [data-cf-resume]
 * container gets {"type":"resume","last_id":N} sent, N = its highest data-cf-item.
 * Elements with data-cf-max-rows="50" keep their first 50 children after every swap.
 */
(function () {
  "use strict";

  // What this script knows about each component request in flight, by its XMLHttpRequest.
  var componentRequests = new WeakMap();

  function componentRoot(element) {
    return element && element.closest ? element.closest("[data-cf-state]") : null;
  }

  function applyPatch(root, changes) {
    Object.keys(changes).forEach(function (key) {
      var value = changes[key];
      var name = CSS.escape(key);
      root.querySelectorAll("[data-cf-bind=" + name + "]").forEach(function (element) {
        element.textContent = value == null ? "" : String(value);
      });
      root.querySelectorAll("[data-cf-show=" + name + "]").forEach(function (element) {
        element.hidden = !value;
      });
    });
  }

  function errorMessage(xhr) {
    var message = null;
    try {
      message = JSON.parse(xhr.responseText).error;
    } catch (notJson) {
      message = null;
    }
    if (message) return String(message);
    // The page may translate the two fallbacks (data-cf-request-failed, data-cf-network-error).
    var texts = document.body.dataset;
    if (!xhr.status) return texts.cfNetworkError || "Network error";
    return (texts.cfRequestFailed || "Request failed") + " (" + xhr.status + ")";
  }

  function showError(root, xhr) {
    var slot = root.querySelector("[data-cf-error]");
    if (!slot) {
      slot = document.createElement("p");
      slot.className = "cf-error";
      slot.setAttribute("role", "alert");
      slot.setAttribute("data-cf-error", "");
      root.prepend(slot);
    }
    slot.textContent = errorMessage(xhr);
  }

  function discardIfStale(event) {
    var request = componentRequests.get(event.detail.xhr);
    if (!request || request.discarded || event.detail.isError || request.root.isConnected) return;
    event.detail.shouldSwap = false;
    request.discarded = true;
    document.dispatchEvent(new CustomEvent("cf:discard", { detail: { id: request.id } }));
  }

  function restoreOnError(xhr) {
    var request = componentRequests.get(xhr);
    var root = request.root;
    if (xhr.status && xhr.status < 400) return;
    if (request.snapshot && root.isConnected) {
      root.replaceWith(request.snapshot);
      root = request.snapshot;
      htmx.process(root);
    }
    if (root.isConnected) showError(root, xhr);
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var root = componentRoot(event.detail.elt);
    if (root && event.detail.verb !== "get") {
      event.detail.parameters.state = root.getAttribute("data-cf-state");
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail;
    var root = componentRoot(detail.elt);
    if (!root) return;
    var request = { id: root.getAttribute("data-cf-id"), root: root };
    componentRequests.set(detail.xhr, request);
    // A listener on the root still hears its swap events after it has left the page.
    root.addEventListener("htmx:beforeSwap", discardIfStale);
    detail.xhr.addEventListener("loadend", function () {
      restoreOnError(detail.xhr);
    });
    var eventName = detail.requestConfig && detail.requestConfig.parameters.event;
    var patches = root.getAttribute("data-cf-optimistic");
    var changes = eventName && patches && JSON.parse(patches)[eventName];
    if (changes) {
      request.snapshot = root.cloneNode(true);
      applyPatch(root, changes);
    }
  });

  // For responses swapped into a target outside their component's root.
  document.addEventListener("htmx:beforeSwap", discardIfStale);

  // A component's JSON refusal is shown inline, so it never reaches django-htmx's DEBUG
  // helper (a document listener that would replace the whole page with the body).
  window.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    var isJson = /json/.test(xhr.getResponseHeader("Content-Type") || "");
    if (componentRoot(event.target) && xhr.status >= 400 && isJson) event.stopPropagation();
  }, true);

  document.addEventListener("htmx:wsOpen", function (event) {
    var socketElement = event.target;
    var container = socketElement.closest("[data-cf-resume]") ||
      socketElement.querySelector("[data-cf-resume]");
    var lastId = 0;
    if (!container) return;
    container.querySelectorAll("[data-cf-item]").forEach(function (item) {
      lastId = Math.max(lastId, parseInt(item.getAttribute("data-cf-item"), 10) || 0);
    });
    event.detail.socketWrapper.send(JSON.stringify({ type: "resume", last_id: lastId }));
  });

  function trimLists() {
    document.querySelectorAll("[data-cf-max-rows]").forEach(function (list) {
      var maxRows = parseInt(list.getAttribute("data-cf-max-rows"), 10);
      while (maxRows >= 0 && list.children.length > maxRows) list.lastElementChild.remove();
    });
  }
  ["htmx:afterSwap", "htmx:oobAfterSwap", "htmx:wsAfterMessage"].forEach(function (name) {
    document.addEventListener(name, trimLists);
  });
})();
