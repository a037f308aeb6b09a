// The 图文 editor: toolbar buttons that write pufa's Markdown, image
// uploads (cover and body), and the live phone preview rendered by the
// server with the same renderer WeChat's draft gets.
(function () {
  "use strict";
  var form = document.getElementById("article-form");
  if (!form) { return; }
  var body = document.getElementById("a-body");
  var csrf = document.getElementById("csrf").value;
  var status = document.getElementById("upload-status");
  var preview = document.getElementById("article-preview");

  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "field-error" : "hint";
  }

  // replace puts text in place of the selection and selects sel (offsets
  // within text) so the clerk can type over a placeholder.
  function replace(text, selFrom, selTo) {
    var a = body.selectionStart, b = body.selectionEnd;
    body.value = body.value.slice(0, a) + text + body.value.slice(b);
    body.focus();
    body.setSelectionRange(a + (selFrom === undefined ? text.length : selFrom), a + (selTo === undefined ? text.length : selTo));
    refresh();
  }

  function selected(placeholder) {
    var s = body.value.slice(body.selectionStart, body.selectionEnd);
    return s || placeholder;
  }

  // startOfLine is the text needed so that an insertion begins a new line.
  function startOfLine() {
    var a = body.selectionStart;
    return a > 0 && body.value.charAt(a - 1) !== "\n" ? "\n" : "";
  }

  function prefixLines(prefix, placeholder) {
    var s = selected(placeholder);
    var lead = startOfLine();
    var text = lead + s.split("\n").map(function (l) { return prefix + l; }).join("\n");
    replace(text, lead.length + prefix.length, text.length);
  }

  var actions = {
    bold: function () { var s = selected("加粗的文字"); replace("**" + s + "**", 2, 2 + s.length); },
    heading: function () { prefixLines("## ", "小标题"); },
    list: function () { prefixLines("- ", "列表项"); },
    quote: function () { prefixLines("> ", "引用的文字"); },
    citation: function () {
      var lead = startOfLine();
      var text = lead + "::: 《法律名称》第X条\n" + selected("条文原文") + "\n:::\n";
      replace(text, lead.length + 4, lead.length + 4 + "《法律名称》第X条".length);
    },
    image: function () { document.getElementById("body-image-file").click(); }
  };
  document.getElementById("md-toolbar").addEventListener("click", function (e) {
    var md = e.target.getAttribute && e.target.getAttribute("data-md");
    if (md && actions[md]) { e.preventDefault(); actions[md](); }
  });

  function upload(file, done) {
    var data = new FormData();
    data.append("csrf", csrf);
    data.append("image", file);
    say("正在上传 " + file.name + " …");
    fetch("/console/articles/images", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.json().catch(function () { return { error: "上传失败（" + r.status + "）" }; }); })
      .then(function (j) {
        if (j.error) { say("上传失败：" + j.error, true); return; }
        say("已上传 " + file.name);
        done(j);
      })
      .catch(function () { say("上传失败：网络中断，请重试", true); });
  }

  document.getElementById("body-image-file").addEventListener("change", function (e) {
    var f = e.target.files[0];
    e.target.value = "";
    if (!f) { return; }
    upload(f, function (j) {
      var lead = startOfLine();
      var text = lead + j.markdown + "\n";
      replace(text, lead.length + 2, lead.length + 2 + "图片说明".length);
    });
  });

  var coverFile = document.getElementById("cover-file");
  coverFile.addEventListener("change", function () {
    var f = coverFile.files[0];
    if (!f) { return; }
    upload(f, function (j) {
      document.getElementById("a-cover").value = j.id;
      var img = document.getElementById("cover-img");
      img.src = j.url;
      img.hidden = false;
      document.getElementById("cover-choose").textContent = "更换封面图片";
      coverFile.value = ""; // uploaded already: the form need not carry it again
    });
  });

  var timer = null, seq = 0;
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var n = ++seq;
      var data = new URLSearchParams();
      data.append("csrf", csrf);
      data.append("body", body.value);
      fetch("/console/articles/render", { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          // The server escapes everything the clerk typed and writes only
          // WeChat's allowed tags, so its answer may go in as markup.
          if (html !== null && n === seq) { preview.innerHTML = html; }
        });
    }, 250);
  }
  body.addEventListener("input", refresh);
  document.getElementById("a-title").addEventListener("input", function (e) {
    document.getElementById("p-title").textContent = e.target.value;
  });
  document.getElementById("a-author").addEventListener("input", function (e) {
    document.getElementById("p-author").textContent = e.target.value;
  });
})();
