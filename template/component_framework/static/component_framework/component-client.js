/* component-client.js: the browser half of component_framework. No build step; load it
 * after htmx (and its ws extension). For requests sent from inside a component root
 * (the element carrying data-cf-state):
 * - every non-GET request gets the X-CSRFToken header; the root's token goes in `state`;
 * - one request per component at a time: later ones wait in order (never dropped);
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
  var api, queues = {}, busy = {};
  var doc = document, on = doc.addEventListener.bind(doc);

  function rootOf(elt) {
    return elt && elt.closest ? elt.closest("[data-cf-state]") : null;
  }

  function csrf() {
    var match = doc.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    var input = doc.querySelector("input[name=csrfmiddlewaretoken]");
    return match ? decodeURIComponent(match[1]) : input ? input.value : "";
  }

  // What the element would send, kept for a queued event whose element is swapped away.
  function valuesOf(elt, verb) {
    var values = {}, vars = api.getExpressionVars(elt);
    api.getInputValues(elt, verb).formData.forEach(function (v, k) { values[k] = v; });
    for (var k in vars) values[k] = vars[k];
    return values;
  }

  function patch(root, changes) {
    Object.keys(changes).forEach(function (key) {
      var value = changes[key], name = CSS.escape(key);
      root.querySelectorAll("[data-cf-bind=" + name + "]").forEach(function (el) {
        el.textContent = value == null ? "" : String(value);
      });
      root.querySelectorAll("[data-cf-show=" + name + "]").forEach(function (el) {
        el.hidden = !value;
      });
    });
  }

  function showError(root, xhr) {
    var message;
    try { message = JSON.parse(xhr.responseText).error; } catch (e) { message = null; }
    // The page may translate the two fallbacks (data-cf-request-failed, data-cf-network-error).
    var texts = doc.body.dataset;
    message = message ? String(message) : xhr.status ? (texts.cfRequestFailed || "Request failed") + " (" + xhr.status + ")" : texts.cfNetworkError || "Network error";
    var slot = root.querySelector("[data-cf-error]");
    if (!slot) {
      slot = doc.createElement("p");
      slot.className = "cf-error";
      slot.setAttribute("role", "alert");
      slot.setAttribute("data-cf-error", "");
      root.prepend(slot);
    }
    slot.textContent = message;
  }

  function next(id) {
    var item = (queues[id] || []).shift(), root;
    if (!item) return;
    if (item.elt.isConnected) return item.issue(false); // false: hx-confirm still asks
    root = doc.querySelector('[data-cf-id="' + CSS.escape(id) + '"]');
    if (!root || (item.question && !confirm(item.question))) return next(id);
    htmx.ajax(item.verb, item.path, { source: root, target: root, swap: "outerHTML", values: item.values });
  }

  // Responses arrive in order (one request per component at a time); one whose root
  // was replaced meanwhile (e.g. by a WebSocket push) is stale and dropped.
  function stale(e) {
    var cf = e.detail.xhr.cf;
    if (!cf || cf.stale || e.detail.isError || cf.root.isConnected) return;
    e.detail.shouldSwap = false;
    cf.stale = true;
    doc.dispatchEvent(new CustomEvent("cf:discard", { detail: { id: cf.id } }));
  }

  function finish(xhr) {
    var cf = xhr.cf, root = cf.root;
    if (!xhr.status || xhr.status >= 400) {
      if (cf.snapshot && root.isConnected) {
        root.replaceWith(cf.snapshot);
        root = cf.snapshot;
        htmx.process(root);
      }
      if (root.isConnected) showError(root, xhr);
    }
    busy[cf.id] = false;
    next(cf.id);
  }

  function start() {
    htmx.defineExtension("cf", { init: function (internal) { api = internal; } });

    on("htmx:confirm", function (e) {
      var d = e.detail, root = rootOf(d.elt), id = root && root.getAttribute("data-cf-id");
      if (!root || !busy[id]) return;
      e.preventDefault();
      (queues[id] = queues[id] || []).push({
        elt: d.elt, issue: d.issueRequest, verb: d.verb, path: d.path,
        question: d.question, values: valuesOf(d.elt, d.verb)
      });
    });

    on("htmx:configRequest", function (e) {
      var d = e.detail, root = rootOf(d.elt);
      if (d.verb === "get") return;
      if (!d.headers["X-CSRFToken"]) d.headers["X-CSRFToken"] = csrf();
      if (root) d.parameters.state = root.getAttribute("data-cf-state");
    });

    on("htmx:beforeRequest", function (e) {
      var d = e.detail, root = rootOf(d.elt), id, event, patches, changes;
      if (!root) return;
      id = root.getAttribute("data-cf-id");
      busy[id] = true;
      d.xhr.cf = { id: id, root: root };
      // These still fire when the root has left the page (document listeners would not).
      root.addEventListener("htmx:beforeSwap", stale);
      d.xhr.addEventListener("loadend", function () { finish(d.xhr); });
      event = d.requestConfig && d.requestConfig.parameters.event;
      patches = root.getAttribute("data-cf-optimistic");
      changes = event && patches && JSON.parse(patches)[event];
      if (changes) {
        d.xhr.cf.snapshot = root.cloneNode(true);
        patch(root, changes);
      }
    });

    on("htmx:beforeSwap", stale);

    // A component's JSON refusal is shown inline, so it never reaches django-htmx's DEBUG
    // helper (a document listener that would replace the whole page with the body).
    window.addEventListener("htmx:beforeOnLoad", function (e) {
      var xhr = e.detail.xhr;
      if (rootOf(e.target) && xhr.status >= 400 &&
          /json/.test(xhr.getResponseHeader("Content-Type") || "")) e.stopPropagation();
    }, true);

    on("htmx:wsOpen", function (e) {
      var box = e.target.closest("[data-cf-resume]") || e.target.querySelector("[data-cf-resume]");
      var last = 0;
      if (!box) return;
      box.querySelectorAll("[data-cf-item]").forEach(function (el) {
        last = Math.max(last, parseInt(el.getAttribute("data-cf-item"), 10) || 0);
      });
      e.detail.socketWrapper.send(JSON.stringify({ type: "resume", last_id: last }));
    });

    function trim() {
      doc.querySelectorAll("[data-cf-max-rows]").forEach(function (list) {
        var max = parseInt(list.getAttribute("data-cf-max-rows"), 10);
        while (max >= 0 && list.children.length > max) list.lastElementChild.remove();
      });
    }
    ["htmx:afterSwap", "htmx:oobAfterSwap", "htmx:wsAfterMessage"].forEach(function (name) {
      on(name, trim);
    });
  }

  // Load with `defer` after htmx's own deferred tags; without it, wait for htmx.
  if (window.htmx) start();
  else on("DOMContentLoaded", start);
})();
