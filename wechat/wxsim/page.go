package wxsim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"unicode/utf8"
)

// validOpenID keeps page input to openid-like names.
var validOpenID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (s *Server) pageMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sim", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sim/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /sim/{$}", s.servePage)
	mux.HandleFunc("GET /sim/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("GET /sim/api/inbox", s.serveInbox)
	mux.HandleFunc("POST /sim/api/send", s.serveSend)
	mux.HandleFunc("POST /sim/api/event", s.serveEvent)
	s.articleRoutes(mux)
	return mux
}

func (s *Server) servePage(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self'; connect-src 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, chatPage)
}

// pageReply is what the chat page gets back from send and event.
type pageReply struct {
	Attempts int    `json:"attempts"`
	Status   int    `json:"status"`
	MsgType  string `json:"msg_type"`
	Content  string `json:"content"`
	Error    string `json:"error,omitempty"`
	Broken   bool   `json:"broken,omitempty"` // WeChat would show "该公众号提供的服务出现故障"
}

func newPageReply(rep Reply, err error) pageReply {
	p := pageReply{Attempts: rep.Attempts, Status: rep.Status, MsgType: rep.MsgType, Content: rep.Content}
	if err != nil {
		p.Error = err.Error()
		p.Broken = errors.Is(err, ErrEmptyReply) || errors.Is(err, ErrBadReply) || errors.Is(err, ErrCallbackFailed)
	}
	return p
}

func readPageJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body"})
		return false
	}
	return true
}

func (s *Server) serveSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OpenID  string `json:"openid"`
		Content string `json:"content"`
	}
	if !readPageJSON(w, r, &req) {
		return
	}
	if !validOpenID.MatchString(req.OpenID) || req.Content == "" || utf8.RuneCountInString(req.Content) > 2000 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "openid must be 1-64 of [A-Za-z0-9_-], content 1-2000 characters"})
		return
	}
	rep, err := s.SendText(r.Context(), req.OpenID, req.Content)
	writeJSON(w, http.StatusOK, newPageReply(rep, err))
}

func (s *Server) serveEvent(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OpenID string `json:"openid"`
		Event  string `json:"event"`
		Scene  string `json:"scene"`
	}
	if !readPageJSON(w, r, &req) {
		return
	}
	req.Scene = s.pageScene(req.Scene) // api_qrcode.go: a QR code's URL or ticket stands for its scene
	ok := validOpenID.MatchString(req.OpenID) && (req.Event == "subscribe" || req.Event == "unsubscribe") &&
		(req.Scene == "" || validOpenID.MatchString(req.Scene))
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "need openid, event subscribe|unsubscribe, optional scene of [A-Za-z0-9_-]"})
		return
	}
	key := ""
	if req.Scene != "" && req.Event == "subscribe" {
		key = "qrscene_" + req.Scene
	}
	rep, err := s.SendEvent(r.Context(), req.OpenID, req.Event, key)
	writeJSON(w, http.StatusOK, newPageReply(rep, err))
}

func (s *Server) serveInbox(w http.ResponseWriter, r *http.Request) {
	openid := r.URL.Query().Get("openid")
	if !validOpenID.MatchString(openid) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid openid"})
		return
	}
	inbox := s.Inbox(openid)
	if inbox == nil {
		inbox = []Delivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"openid": openid, "follower": s.IsFollower(openid), "messages": inbox})
}

// chatPage is the resident simulator. It builds every node with
// textContent, never innerHTML, so message content cannot inject markup.
const chatPage = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>居民模拟器</title>
<style>
body{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#ededed}
header{background:#2e2e2e;color:#fff;padding:10px 14px;font-size:17px}
.bar{display:flex;flex-wrap:wrap;gap:6px;padding:8px 10px;background:#f7f7f7;border-bottom:1px solid #ddd;align-items:center}
.bar input{padding:5px;border:1px solid #ccc;border-radius:4px}
#log{height:calc(100vh - 230px);overflow-y:auto;padding:10px}
.row{display:flex;margin:8px 0}
.me{justify-content:flex-end}
.msg{max-width:75%;padding:8px 11px;border-radius:6px;white-space:pre-wrap;word-break:break-word;background:#fff}
.me .msg{background:#95ec69}
.sys{justify-content:center}
.sys .msg{background:none;color:#888;font-size:12px}
.tag{display:block;font-size:11px;color:#888;margin-bottom:3px}
.err .msg{background:#fde2e2;color:#a33}
footer{display:flex;gap:6px;padding:8px 10px;background:#f7f7f7;border-top:1px solid #ddd}
footer input{flex:1;padding:8px;border:1px solid #ccc;border-radius:4px}
button{padding:6px 12px;border:0;border-radius:4px;background:#07c160;color:#fff;cursor:pointer}
button.plain{background:#fff;color:#333;border:1px solid #ccc}
.chips{display:flex;gap:6px;padding:6px 10px;flex-wrap:wrap}
.cards{background:#fff;border-radius:6px;width:280px;overflow:hidden}
.card{display:block;color:#333;text-decoration:none;border-top:1px solid #eee}
.card:first-child{border-top:0}
.card img{display:block;width:100%;height:120px;object-fit:cover;background:#ddd}
.card .t{display:block;font-size:16px;padding:8px 10px 2px;line-height:1.4}
.card .d{display:block;font-size:13px;color:#888;padding:0 10px 10px}
.card.more{display:flex;align-items:center;gap:8px;padding:8px 10px}
.card.more img{width:48px;height:48px;flex:none}
.card.more .t{padding:0}
</style>
</head>
<body>
<header>居民模拟器 · 公众号对话</header>
<div class="bar">
  <label>居民 openid <input id="openid" value="o_sim_demo" size="16"></label>
  <label>社区场景值 <input id="scene" placeholder="可选，或二维码链接" size="14"></label>
  <button class="plain" id="sub">关注</button>
  <button class="plain" id="unsub">取消关注</button>
  <span id="state"></span>
</div>
<div id="log"></div>
<div class="chips">
  <button class="plain chip">你好</button>
  <button class="plain chip">转人工</button>
  <button class="plain chip">法律援助怎么申请</button>
</div>
<footer>
  <input id="text" placeholder="输入消息" maxlength="2000">
  <button id="send">发送</button>
</footer>
<script>
"use strict";
const kinds = {mass: "群发", template: "模板消息", custom: "客服消息", preview: "群发预览", subscribe: "订阅通知"};
const log = document.getElementById("log");
const openidInput = document.getElementById("openid");
// /sim/?openid=... opens the chat of that resident, e.g. a synthetic follower.
const startOpenid = new URLSearchParams(location.search).get("openid");
if (startOpenid) openidInput.value = startOpenid;
let seen = 0;

function add(cls, text, label) {
  const row = document.createElement("div");
  row.className = "row " + cls;
  const msg = document.createElement("div");
  msg.className = "msg";
  if (label) {
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = label;
    msg.appendChild(tag);
  }
  msg.appendChild(document.createTextNode(text));
  row.appendChild(msg);
  log.appendChild(row);
  log.scrollTop = log.scrollHeight;
}

// addCards shows an article message as WeChat does: the first article
// large with its cover, title and digest, further ones as small rows.
function addCards(cards, label) {
  const row = document.createElement("div");
  row.className = "row";
  const box = document.createElement("div");
  box.className = "cards";
  const tag = document.createElement("span");
  tag.className = "tag";
  tag.textContent = label;
  tag.style.padding = "6px 10px 0";
  box.appendChild(tag);
  cards.forEach((c, i) => {
    const a = document.createElement("a");
    a.className = i === 0 ? "card" : "card more";
    a.href = c.link;
    a.target = "_blank";
    a.rel = "noopener";
    const img = document.createElement("img");
    img.src = c.cover;
    img.alt = "";
    a.appendChild(img);
    const t = document.createElement("span");
    t.className = "t";
    t.textContent = c.title;
    a.appendChild(t);
    if (i === 0 && c.digest) {
      const d = document.createElement("span");
      d.className = "d";
      d.textContent = c.digest;
      a.appendChild(d);
    }
    box.appendChild(a);
  });
  row.appendChild(box);
  log.appendChild(row);
  log.scrollTop = log.scrollHeight;
}

function openid() { return openidInput.value.trim(); }

async function post(path, body) {
  try {
    const res = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    return await res.json();
  } catch (e) {
    return {error: String(e), broken: true};
  }
}

function showReply(r) {
  if (r.broken) {
    add("sys err", "该公众号提供的服务出现故障，请稍后再试");
  } else if (r.error) {
    add("sys err", "发送失败：" + r.error);
  }
  if (r.content) {
    add("", r.content);
  } else if (r.msg_type && r.msg_type !== "text") {
    add("", "[" + r.msg_type + "]");
  }
}

async function send(text) {
  if (!text) return;
  add("me", text);
  showReply(await post("/sim/api/send", {openid: openid(), content: text}));
}

async function event(name) {
  const scene = document.getElementById("scene").value.trim();
  add("sys", name === "subscribe" ? "你关注了公众号" + (scene ? "（场景 " + scene + "）" : "") : "你取消了关注");
  showReply(await post("/sim/api/event", {openid: openid(), event: name, scene: scene}));
}

async function poll() {
  try {
    const res = await fetch("/sim/api/inbox?openid=" + encodeURIComponent(openid()));
    if (res.ok) {
      const data = await res.json();
      document.getElementById("state").textContent = data.follower ? "已关注" : "未关注";
      const msgs = data.messages || [];
      for (; seen < msgs.length; seen++) {
        const m = msgs[seen];
        // Passive replies were shown when the send returned.
        if (m.kind === "reply") continue;
        if (m.cards && m.cards.length) addCards(m.cards, kinds[m.kind] || m.kind);
        else add("", m.content, kinds[m.kind] || m.kind);
      }
    }
  } catch (e) { /* the simulator may be restarting */ }
}

document.getElementById("send").onclick = () => {
  const input = document.getElementById("text");
  send(input.value.trim());
  input.value = "";
};
document.getElementById("text").addEventListener("keydown", (e) => {
  if (e.key === "Enter") document.getElementById("send").click();
});
for (const chip of document.querySelectorAll(".chip")) chip.onclick = () => send(chip.textContent);
document.getElementById("sub").onclick = () => event("subscribe");
document.getElementById("unsub").onclick = () => event("unsubscribe");
openidInput.addEventListener("change", () => {
  log.replaceChildren();
  seen = 0;
  poll();
});
poll();
setInterval(poll, 2000);
</script>
</body>
</html>
`
