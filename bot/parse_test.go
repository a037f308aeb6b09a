package bot

import (
	"encoding/xml"
	"testing"
)

var parseSeeds = []string{
	textXML("o_1", "离婚冷静期多久", 1234567890123456, 1348831860),
	eventXML("o_2", "subscribe", "qrscene_c01", 1348831860),
	"<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o]]></FromUserName><CreateTime>1</CreateTime>" +
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>1000001625</MsgID>" +
		"<Status><![CDATA[send success]]></Status><TotalCount>100</TotalCount><FilterCount>80</FilterCount>" +
		"<SentCount>75</SentCount><ErrorCount>5</ErrorCount></xml>",
	"<xml>\n  <FromUserName>o</FromUserName>\n  <MsgType>text</MsgType>\n  <Content> 有空格 </Content>\n</xml>\n",
	"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content>a &amp; b</Content></xml>",
	"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content>a\r\nb</Content></xml>",
	"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><CreateTime>x</CreateTime></xml>",
	"<xml><FromUserName a=\"1\">o</FromUserName><MsgType>text</MsgType></xml>",
	"<xml><Unknown><![CDATA[x]]></Unknown><FromUserName>o</FromUserName><MsgType>image</MsgType><MsgId>5</MsgId></xml>",
	"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>",
	"<xml><!-- c --><FromUserName>o</FromUserName><MsgType>text</MsgType></xml>",
	"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType></xml><xml/>",
	"<xml><FromUserName><![CDATA[o]]></FromUserName><MsgType>text</MsgType><Content><![CDATA[\x01]]></Content></xml>",
	"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><MsgId>99999999999999999999</MsgId></xml>",
}

// FuzzParseMessage holds the fast parser to encoding/xml: whenever the fast
// path accepts a body, the strict decoder must accept it too and agree on
// every field; and parseMessage never panics.
func FuzzParseMessage(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = parseMessage(body)
		fast, ok := parseFlat(body)
		if !ok {
			return
		}
		var slow Message
		if err := xml.Unmarshal(body, &slow); err != nil {
			t.Fatalf("fast path accepted what encoding/xml refuses (%v): %q", err, body)
		}
		if fast != slow {
			t.Fatalf("parsers disagree on %q:\nfast %+v\nslow %+v", body, fast, slow)
		}
	})
}

func TestFastPathCoversWeChatShapes(t *testing.T) {
	for _, s := range parseSeeds[:3] {
		if _, ok := parseFlat([]byte(s)); !ok {
			t.Errorf("fast path refused a canonical callback: %s", s)
		}
	}
	for _, s := range parseSeeds[4:8] {
		if _, ok := parseFlat([]byte(s)); ok {
			t.Errorf("fast path accepted a shape it must leave to encoding/xml: %q", s)
		}
	}
	m, err := parseMessage([]byte(parseSeeds[2]))
	if err != nil || m.JobID != 1000001625 || m.SentCount != 75 || m.FilterCount != 80 || m.Status != "send success" {
		t.Errorf("mass-send finish parsed as %+v, %v", m, err)
	}
}

func BenchmarkParseMessage(b *testing.B) {
	body := []byte(parseSeeds[0])
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, ok := parseFlat(body); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("encoding/xml", func(b *testing.B) {
		for b.Loop() {
			var m Message
			if err := xml.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
