package msgcrypt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	sdkutil "github.com/silenceper/wechat/v2/util"
)

const (
	key   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	appID = "wx0123456789abcdef"
)

func TestSignMatchesDefinition(t *testing.T) {
	// `printf %s 1409304348pufatokenxxxxxx | sha1sum`: the parts sorted, joined, hashed.
	const want = "0d29c35dd6d61b5e944906edf79174f404c40bd2"
	if got := Sign("pufatoken", "1409304348", "xxxxxx"); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if got := sdkutil.Signature("pufatoken", "1409304348", "xxxxxx"); got != want {
		t.Fatalf("SDK disagrees: %s", got)
	}
}

func TestSignVector(t *testing.T) {
	// Independent vector: sorted parts are "1409304348", "pufatoken", "xxxxxx".
	if got, want := Sign("xxxxxx", "pufatoken", "1409304348"), Sign("1409304348", "pufatoken", "xxxxxx"); got != want {
		t.Fatalf("order must not matter: %s vs %s", got, want)
	}
	if !Verify(Sign("a", "b", "c"), "c", "b", "a") || Verify(Sign("a", "b", "c"), "a", "b", "d") {
		t.Fatal("Verify")
	}
	if Verify("", "a") || Verify(strings.ToUpper(Sign("a")), "a") {
		t.Fatal("Verify accepts a wrong signature")
	}
}

func TestEncryptFixedVector(t *testing.T) {
	c, err := NewCipher(key, appID)
	if err != nil {
		t.Fatal(err)
	}
	random := []byte("0123456789abcdef")
	msg := []byte("<xml><Content><![CDATA[普法]]></Content></xml>")
	got, err := c.Encrypt(random, msg)
	if err != nil {
		t.Fatal(err)
	}
	aesKey, _ := base64.StdEncoding.DecodeString(key + "=")
	want := base64.StdEncoding.EncodeToString(sdkutil.AESEncryptMsg(random, msg, appID, aesKey))
	if got != want {
		t.Fatalf("ciphertext differs from the SDK's for the same input:\n got %s\nwant %s", got, want)
	}
	raw, _ := base64.StdEncoding.DecodeString(got)
	if len(raw)%32 != 0 {
		t.Errorf("ciphertext length %d is not a multiple of WeChat's 32-byte block", len(raw))
	}
}

func TestRoundTripWithSDK(t *testing.T) {
	c, _ := NewCipher(key, appID)
	msg := []byte("<xml><MsgType>text</MsgType></xml>")
	for _, size := range []int{0, 1, 11, 12, 31, 32, 33, 1000} {
		m := append(bytes.Repeat([]byte("x"), size), msg...)
		enc, err := c.Encrypt(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		_, plain, err := sdkutil.DecryptMsg(appID, enc, key)
		if err != nil || !bytes.Equal(plain, m) {
			t.Fatalf("size %d: SDK cannot open our ciphertext: %v", size, err)
		}
		sdkEnc, err := sdkutil.EncryptMsg([]byte("fedcba9876543210"), m, appID, key)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := c.Decrypt(string(sdkEnc))
		if err != nil || !bytes.Equal(ours, m) {
			t.Fatalf("size %d: we cannot open the SDK's ciphertext: %v", size, err)
		}
	}
}

func TestDecryptRejectsHostileInput(t *testing.T) {
	c, _ := NewCipher(key, appID)
	other, _ := NewCipher(key, "wxother")
	foreign, _ := other.Encrypt(nil, []byte("<xml/>"))
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"not base64", "%%%", ErrCiphertext},
		{"empty", "", ErrCiphertext},
		{"not a block multiple", base64.StdEncoding.EncodeToString([]byte("short")), ErrCiphertext},
		{"garbage blocks", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 64)), ErrCiphertext},
		{"other appid", foreign, ErrAppID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Decrypt(tt.in); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewCipherValidatesKey(t *testing.T) {
	for _, k := range []string{"", "short", strings.Repeat("!", 43)} {
		if _, err := NewCipher(k, appID); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
}

func TestSealReplyVerifies(t *testing.T) {
	c, _ := NewCipher(key, appID)
	out, err := c.SealReply("tok", []byte("<xml>hi</xml>"), 1700000000, "n0")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	start := strings.Index(s, "<Encrypt><![CDATA[") + len("<Encrypt><![CDATA[")
	enc := s[start : start+strings.Index(s[start:], "]]>")]
	if !strings.Contains(s, "<MsgSignature><![CDATA["+Sign("tok", "1700000000", "n0", enc)+"]]>") {
		t.Errorf("msg signature missing or wrong: %s", s)
	}
	if plain, err := c.Decrypt(enc); err != nil || string(plain) != "<xml>hi</xml>" {
		t.Errorf("sealed body does not open: %v", err)
	}
}

// FuzzDecrypt feeds hostile ciphertexts to Decrypt: it must never panic, and
// whatever it accepts must be what Encrypt would have produced from it.
func FuzzDecrypt(f *testing.F) {
	c, _ := NewCipher(key, appID)
	good, _ := c.Encrypt([]byte("0123456789abcdef"), []byte("<xml><Content>普法</Content></xml>"))
	f.Add(good)
	f.Add("")
	f.Add("AAAA")
	f.Add(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0}, 32)))
	f.Fuzz(func(t *testing.T, in string) {
		plain, err := c.Decrypt(in)
		if err != nil {
			return
		}
		again, err := c.Decrypt(mustEncrypt(t, c, plain))
		if err != nil || !bytes.Equal(again, plain) {
			t.Fatalf("round trip of an accepted message failed: %v", err)
		}
	})
}

func mustEncrypt(t *testing.T, c *Cipher, msg []byte) string {
	t.Helper()
	s, err := c.Encrypt(nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
