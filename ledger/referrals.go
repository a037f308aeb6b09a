package ledger

import (
	"context"
	"fmt"

	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/clip"
	"github.com/pufa-dev/pufa/store"
)

// CaseReferrals records the consultations clerks hand to mediation (转调解)
// or legal aid (转法律援助) as records of the mediation ledger, so that those
// figures count them: a dispute 排查 (to be updated as mediation goes on)
// or a legal-aid referral. It implements cases.Referrer; a case is
// recorded once per kind however often the hand-off is retried.
type CaseReferrals struct {
	Mediation *Mediation
	Store     ReferralStore
}

// ReferralStore adds a record made from a source once (*store.Store).
type ReferralStore interface {
	AddDisputeOnce(ctx context.Context, source string, d store.Dispute) (string, bool, error)
	AddLegalAidOnce(ctx context.Context, source string, l store.LegalAidReferral) (string, bool, error)
}

// caseDisputeTypes and caseLegalAidMatters map a case's category to the
// ledger's lists; a category not listed is 其他.
var (
	caseDisputeTypes = map[string]string{"婚姻家庭": "婚姻家庭", "劳动用工": "劳动", "借贷合同": "借贷",
		"房屋物业": "物业", "交通事故": "交通", "邻里纠纷": "邻里"}
	caseLegalAidMatters = map[string]string{"婚姻家庭": "婚姻家庭", "劳动用工": "劳动报酬", "借贷合同": "借贷"}
)

// referralNoteRunes keeps a referral's note well inside the ledger's limit.
const referralNoteRunes = 80

// Refer implements cases.Referrer.
func (c CaseReferrals) Refer(ctx context.Context, r cases.Referral) error {
	date := r.At.In(chinatime.Zone).Format("2006-01-02")
	note := fmt.Sprintf("由转人工咨询（编号%s）转入：%s", r.CaseID, clip.Runes(r.Summary, referralNoteRunes))
	source := "case:" + r.CaseID
	switch r.Kind {
	case store.CaseMediation:
		d, err := c.Mediation.validateDispute(ctx, DisputeInput{Date: date, Community: r.Community,
			Type: orOther(caseDisputeTypes[r.Category]), Parties: "2", Status: StatusScreened, Note: note})
		if err != nil {
			return fmt.Errorf("ledger: refer case %s to mediation: %w", r.CaseID, err)
		}
		d.CreatedBy, d.CreatedAt = r.By, r.At
		if _, _, err := c.Store.AddDisputeOnce(ctx, source, d); err != nil {
			return fmt.Errorf("ledger: refer case %s to mediation: %w", r.CaseID, err)
		}
	case store.CaseLegalAid:
		l, err := c.Mediation.validateLegalAid(ctx, LegalAidInput{Date: date, Community: r.Community,
			Matter: orOther(caseLegalAidMatters[r.Category]), ReferredTo: "法律援助机构", Note: note})
		if err != nil {
			return fmt.Errorf("ledger: refer case %s to legal aid: %w", r.CaseID, err)
		}
		l.CreatedBy, l.CreatedAt = r.By, r.At
		if _, _, err := c.Store.AddLegalAidOnce(ctx, source, l); err != nil {
			return fmt.Errorf("ledger: refer case %s to legal aid: %w", r.CaseID, err)
		}
	default:
		return fmt.Errorf("ledger: refer case %s: unknown kind %q", r.CaseID, r.Kind)
	}
	return nil
}

func orOther(s string) string {
	if s == "" {
		return "其他"
	}
	return s
}
