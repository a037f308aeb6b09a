// Package msgcrypt implements WeChat's callback signatures and the AES
// message encryption of "safe mode" (WXBizMsgCrypt), shared by the bot that
// receives callbacks and the simulator that sends them.
package msgcrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// blockSize is WeChat's PKCS#7 block size; it is 32, not AES's 16.
const blockSize = 32

// Errors returned by Decrypt; callers map them to HTTP statuses.
var (
	ErrCiphertext = errors.New("msgcrypt: malformed ciphertext")
	ErrAppID      = errors.New("msgcrypt: appid mismatch")
)

// Sign returns sha1 over the sorted, concatenated parts: the plain-mode
// signature is Sign(token, timestamp, nonce) and the safe-mode msg_signature
// is Sign(token, timestamp, nonce, encrypt).
func Sign(parts ...string) string {
	sorted := make([]string, len(parts))
	copy(sorted, parts)
	sort.Strings(sorted)
	h := sha1.New()
	for _, p := range sorted {
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Verify reports whether sig is the signature of parts, comparing in
// constant time so the signature cannot be guessed byte by byte.
func Verify(sig string, parts ...string) bool {
	want := Sign(parts...)
	return subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1
}

// Cipher encrypts and decrypts message bodies for one official account.
type Cipher struct {
	block cipher.Block
	iv    []byte
	appID string
}

// NewCipher builds a Cipher from the 43-character EncodingAESKey of the MP
// console and the account's appid.
func NewCipher(encodingAESKey, appID string) (*Cipher, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("msgcrypt: encoding_aes_key must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("msgcrypt: encoding_aes_key is not valid base64 of 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("msgcrypt: %w", err)
	}
	return &Cipher{block: block, iv: key[:16], appID: appID}, nil
}

// AppID returns the appid the Cipher seals into and expects in messages.
func (c *Cipher) AppID() string { return c.appID }

// Encrypt seals msg as base64(AES-256-CBC(random(16) | len(4, big endian) |
// msg | appid | PKCS#7 padding)). A nil random draws 16 fresh bytes; tests
// pass a fixed one to get reproducible vectors.
func (c *Cipher) Encrypt(random, msg []byte) (string, error) {
	if random == nil {
		random = make([]byte, 16)
		if _, err := rand.Read(random); err != nil {
			return "", fmt.Errorf("msgcrypt: random: %w", err)
		}
	}
	if len(random) != 16 {
		return "", fmt.Errorf("msgcrypt: random must be 16 bytes, got %d", len(random))
	}
	n := 20 + len(msg) + len(c.appID)
	pad := blockSize - n%blockSize
	buf := make([]byte, n+pad)
	copy(buf, random)
	binary.BigEndian.PutUint32(buf[16:20], uint32(len(msg)))
	copy(buf[20:], msg)
	copy(buf[20+len(msg):], c.appID)
	for i := n; i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(c.block, c.iv).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// Decrypt opens a base64 ciphertext and returns the message. It fails with
// ErrCiphertext on any structural problem and with ErrAppID when the sealed
// appid is not this account's; it never panics on hostile input.
func (c *Cipher) Decrypt(b64 string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrCiphertext, err)
	}
	if len(raw) == 0 || len(raw)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: length %d", ErrCiphertext, len(raw))
	}
	cipher.NewCBCDecrypter(c.block, c.iv).CryptBlocks(raw, raw)
	pad := int(raw[len(raw)-1])
	if pad < 1 || pad > blockSize || pad > len(raw) {
		return nil, fmt.Errorf("%w: padding", ErrCiphertext)
	}
	raw = raw[:len(raw)-pad]
	if len(raw) < 20 {
		return nil, fmt.Errorf("%w: too short", ErrCiphertext)
	}
	n := binary.BigEndian.Uint32(raw[16:20])
	if uint64(n) > uint64(len(raw)-20) {
		return nil, fmt.Errorf("%w: length field %d", ErrCiphertext, n)
	}
	msg, appID := raw[20:20+n], raw[20+n:]
	if subtle.ConstantTimeCompare(appID, []byte(c.appID)) != 1 {
		return nil, ErrAppID
	}
	return bytes.Clone(msg), nil
}

// EncryptedReply is the safe-mode envelope of a passive reply.
type EncryptedReply struct {
	Encrypt, MsgSignature, TimeStamp, Nonce string
}

// SealReply encrypts a reply body and signs it with token, producing the
// envelope WeChat expects in safe mode.
func (c *Cipher) SealReply(token string, body []byte, timestamp int64, nonce string) ([]byte, error) {
	enc, err := c.Encrypt(nil, body)
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(timestamp, 10)
	var b bytes.Buffer
	b.Grow(len(enc) + 200)
	b.WriteString("<xml><Encrypt><![CDATA[")
	b.WriteString(enc)
	b.WriteString("]]></Encrypt><MsgSignature><![CDATA[")
	b.WriteString(Sign(token, ts, nonce, enc))
	b.WriteString("]]></MsgSignature><TimeStamp>")
	b.WriteString(ts)
	b.WriteString("</TimeStamp><Nonce><![CDATA[")
	b.WriteString(nonce)
	b.WriteString("]]></Nonce></xml>")
	return b.Bytes(), nil
}
