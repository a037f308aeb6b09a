package quiz_test

import (
	"context"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/quiz"
)

// take answers every question of the test quiz, the first right of them
// right and the rest wrong.
func (c *chat) take(openid string, right int) {
	c.t.Helper()
	answers := [][2]string{{"B", "A"}, {"AC", "B"}, {"错", "对"}, {"B", "A"}}
	c.send(openid, "答题")
	for i, a := range answers {
		c.advance(5 * time.Second)
		if i < right {
			c.send(openid, a[0])
		} else {
			c.send(openid, a[1])
		}
	}
}

func TestCertificatesListEveryCompleterBestFirstMasked(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), time.Hour)
	ctx := context.Background()
	if err := c.st.SetCommunity(ctx, "resident-aaaa1111", "幸福社区"); err != nil {
		t.Fatal(err)
	}
	c.take("resident-aaaa1111", 3)
	c.take("resident-bbbb2222", 4)
	c.send("resident-cccc3333", "答题") // started, never finished: no certificate
	c.advance(5 * time.Second)
	c.send("resident-cccc3333", "B")

	got, err := c.svc.Certificates(ctx, "mini-2026")
	if err != nil {
		t.Fatal(err)
	}
	want := []quiz.Certificate{
		{Rank: 1, Resident: "居民（尾号2222）", Right: 4, Questions: 4, Score: 100},
		{Rank: 2, Resident: "居民（尾号1111）", Community: "幸福社区", Right: 3, Questions: 4, Score: 75},
	}
	if len(got) != len(want) {
		t.Fatalf("certificates %+v, want %d", got, len(want))
	}
	for i := range want {
		g := got[i]
		if g.Finished.IsZero() {
			t.Errorf("certificate %d has no finish time", i)
		}
		g.Finished = time.Time{}
		if g != want[i] {
			t.Errorf("certificate %d\n got %+v\nwant %+v", i, g, want[i])
		}
	}
	if _, err := c.svc.Certificates(ctx, "no-such-quiz"); err == nil {
		t.Error("an unknown quiz gave certificates")
	}
}
