package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunCountsRequestsAndErrors(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/bad") {
			http.Error(w, "no", http.StatusTeapot)
			return
		}
		io.WriteString(w, "success")
	})
	req := func(base string, i int64) (*http.Request, error) {
		path := "/ok"
		if i%10 == 0 {
			path = "/bad"
		}
		return http.NewRequest(http.MethodGet, base+path, nil)
	}
	check := func(status int, body []byte) error {
		if status != 200 || string(body) != "success" {
			return errors.New("unexpected response")
		}
		return nil
	}
	res, err := Run(context.Background(), "mixed", h, req, Options{Concurrency: 4, Duration: 200 * time.Millisecond, Check: check})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.PerSec <= 0 {
		t.Fatalf("no requests measured: %+v", res)
	}
	// One request in ten goes to /bad; allow slack for where the run stops.
	if share := float64(res.Errors) / float64(res.Requests); share < 0.05 || share > 0.15 {
		t.Errorf("error share %.2f, want about 0.10 (%d of %d)", share, res.Errors, res.Requests)
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Errorf("latency order broken: %+v", res)
	}
	if tab := Table([]Result{res, res}); !strings.Contains(tab, "1.00") || !strings.Contains(tab, "mixed") {
		t.Errorf("table:\n%s", tab)
	}
}
