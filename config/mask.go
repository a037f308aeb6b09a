package config

import (
	"fmt"
	"strconv"
	"strings"
)

// masked stands in for a secret in printed configuration.
const masked = "********"

// Masked returns a copy of c fit to print (`pufa config`): secrets, the
// hashes of passwords and tokens, and credentials inside URLs are replaced
// by asterisks. A hash is no password, but it lets anyone who reads it try
// passwords offline, so it is as secret. Names that tell entries apart stay.
func (c Config) Masked() Config {
	m := c
	for _, s := range []*string{&m.WeChat.AppSecret, &m.WeChat.Token, &m.WeChat.EncodingAESKey,
		&m.Redis.Password, &m.Redis.PseudonymKey, &m.Metrics.PasswordSHA256, &m.SMS.AccessKeySecret} {
		if *s != "" {
			*s = masked
		}
	}
	m.WeChat.APIBase = redactURL(c.WeChat.APIBase)
	m.SMS.Endpoint = redactURL(c.SMS.Endpoint)
	m.Redis.Addrs = mapStrings(c.Redis.Addrs, redactURL)
	m.Console.Accounts = mapStrings(c.Console.Accounts, maskEntry)
	m.Console.APITokens = mapStrings(c.Console.APITokens, maskEntry)
	return m
}

func mapStrings(in []string, f func(string) string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// maskEntry keeps the "name:role:" of a "name:role:secret" entry (an
// account's bcrypt hash, a token's SHA-256) and masks the rest; an entry of
// another shape is masked whole, as it may be a secret pasted in by mistake.
func maskEntry(e string) string {
	f := strings.SplitN(e, ":", 3)
	if len(f) != 3 {
		return masked
	}
	return f[0] + ":" + f[1] + ":" + masked
}

// entryName names entry i of a "name:role:secret" list in an error without
// its secret: the name before the first colon, or the position when there
// is no colon (the entry may then be a raw token or password).
func entryName(e string, i int) string {
	if name, _, ok := strings.Cut(e, ":"); ok && name != "" {
		return strconv.Quote(name)
	}
	return fmt.Sprintf("entry %d", i+1)
}

// redactURL masks the userinfo (user:password@) of an address or URL, so
// that "redis://default:pw@10.0.0.5:6379" is never printed as it is.
func redactURL(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := len(s)
	if i := strings.IndexAny(s[start:], "/?#"); i >= 0 {
		end = start + i
	}
	at := strings.LastIndex(s[start:end], "@")
	if at < 0 {
		return s
	}
	return s[:start] + masked + s[start+at:]
}
