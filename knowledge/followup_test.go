package knowledge

import "testing"

// A short follow-up is read with the previous question: "那孩子呢" after a
// question on dividing property offers the custody question among its
// readings, and is never answered, with confidence or on a reading.
func TestFollowUpOffersReadingsInContext(t *testing.T) {
	b := testBase(t)
	ans := b.AskFollowUp("那孩子呢", "离婚财产怎么分", 9)
	if ans.Confident || ans.Reading {
		t.Errorf("a follow-up answered (confident %v, on a reading %v): %+v", ans.Confident, ans.Reading, ans.Hits[0].Entry)
	}
	found := false
	for _, e := range ans.Choices {
		if e.Topic == "子女抚养" || e.Topic == "抚养费" {
			found = true
		}
	}
	if !found {
		var qs []string
		for _, e := range ans.Choices {
			qs = append(qs, e.Question)
		}
		t.Errorf("readings %v offer nothing on the children", qs)
	}
}
