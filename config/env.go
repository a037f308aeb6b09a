package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// envPrefix starts every override: PUFA_WECHAT_APP_SECRET sets wechat.app_secret.
const envPrefix = "PUFA_"

// applyEnv overrides leaves of cfg from environ ("KEY=value" entries). Names
// are derived from the yaml tags, so every key has one and no list can drift.
func applyEnv(cfg *Config, environ []string) error {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, envPrefix) {
			env[k] = v
		}
	}
	if len(env) == 0 {
		return nil
	}
	var errs []error
	walk(reflect.ValueOf(cfg).Elem(), "", func(path string, v reflect.Value) {
		name := envPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
		raw, ok := env[name]
		if !ok {
			return
		}
		if err := set(v, raw); err != nil {
			errs = append(errs, fmt.Errorf("config: %s (from %s): %w", path, name, err))
		}
	})
	return errors.Join(errs...)
}

// Keys lists every configuration key as a dotted path, in declaration order.
func Keys() []string {
	var keys []string
	cfg := Default()
	walk(reflect.ValueOf(&cfg).Elem(), "", func(path string, _ reflect.Value) { keys = append(keys, path) })
	return keys
}

func walk(v reflect.Value, prefix string, leaf func(path string, v reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if f := v.Field(i); f.Kind() == reflect.Struct {
			walk(f, path, leaf)
		} else {
			leaf(path, f)
		}
	}
}

func set(v reflect.Value, raw string) error {
	switch {
	case v.Type() == reflect.TypeFor[Duration]():
		d, err := parseDuration(raw)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(raw)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("%q is not an integer", raw)
		}
		v.SetInt(int64(n))
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var items []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}
