package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/pufa-dev/pufa/store/storetest"
)

func TestBenchCallbackRunsBothHandlersWithoutErrors(t *testing.T) {
	for _, mix := range []bool{false, true} {
		args := []string{"bench", "callback", "--redis", storetest.Addr(t), "--concurrency", "4",
			"--duration", "400ms", "--warmup", "0s", "--rounds", "2", "--json"}
		if mix {
			args = append(args, "--mix")
		}
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); err != nil {
			t.Fatalf("mix=%v: %v\n%s", mix, err, out.String())
		}
		var got struct {
			Results []struct {
				Name     string `json:"name"`
				Requests int64  `json:"requests"`
				Errors   int64  `json:"errors"`
				FirstErr string `json:"first_error"`
			} `json:"results"`
			Ratio float64 `json:"ratio"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("mix=%v: %v\n%s", mix, err, out.String())
		}
		if len(got.Results) != 2 || got.Ratio <= 0 {
			t.Fatalf("mix=%v: %s", mix, out.String())
		}
		for _, r := range got.Results {
			if r.Requests == 0 || r.Errors != 0 {
				t.Errorf("mix=%v: %s: %d requests, %d errors (%s)", mix, r.Name, r.Requests, r.Errors, r.FirstErr)
			}
		}
	}
}
