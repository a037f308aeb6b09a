package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/store"
)

// Staff is the console user the seeded cases are assigned to and handled
// by: the demo's login.
const Staff = "demo"

// caseService is the case service at the seed's clock.
func (s *seeder) caseService(now *time.Time) *cases.Service {
	return &cases.Service{Store: s.deps.Cases, Referrer: s.deps.Referrer, Logger: s.log, Now: func() time.Time { return *now }}
}

// consultText is what residents asked for a person about, with the topic's
// case category.
var consultText = []struct{ question, category string }{
	{"我和邻居因为楼上漏水的事吵了好几次，想请社区帮忙调解", "邻里纠纷"},
	{"公司三个月没发工资了，老板一直拖，想咨询怎么维权", "劳动用工"},
	{"离婚的话孩子抚养权一般怎么判？想当面问问", "婚姻家庭"},
	{"借给朋友五万块钱，有借条，现在不还，能起诉吗", "借贷合同"},
	{"物业不修电梯还要涨物业费，业主能怎么办", "房屋物业"},
	{"电动车被汽车撞了，对方不肯赔，想问下流程", "交通事故"},
	{"网购买到假货，商家不退款", "消费维权"},
	{"父亲去世后房子怎么继承，兄弟姐妹有分歧", "婚姻家庭"},
}

// botAnswer is what the bot says when it records a 转人工.
const botAnswer = "已为您登记人工咨询，工作人员会尽快回复您。"

// seedCases opens the seeded year's 转人工 cases (once per resident and
// day, as the report counts them) and has the office answer them by phone
// and close them; then it opens this week's inbox with a case in every
// status: 新, 处理中, 已答复, 已办结, 转调解, 转法律援助.
func (s *seeder) seedCases(ctx context.Context, p Plan) error {
	if s.deps.Cases == nil {
		return s.seedConsultations(ctx, p)
	}
	now := time.Time{}
	svc := s.caseService(&now)
	for i := range p.OnlineConsultations {
		at := day(s.year, time.Month(1+int(i)%12), 1+int(i/12)%28).Add(time.Duration(9+int(i)%9) * time.Hour)
		t := consultText[int(i)%len(consultText)]
		id, err := s.openCase(ctx, s.followers[int(i)%len(s.followers)], t.question, at)
		if err != nil {
			return err
		}
		now = at.Add(3 * time.Hour)
		if err := svc.SetCategory(ctx, id, seedUser, t.category); err != nil {
			return err
		}
		summary := "已电话联系居民，解答了相关法律规定和办理途径。"
		if err := svc.RecordCall(ctx, id, seedUser, cases.Call{At: at.Add(2 * time.Hour), Summary: summary}); err != nil {
			return err
		}
		if i%5 != 0 { // a fifth stay answered; the rest are closed
			if err := svc.SetStatus(ctx, id, seedUser, "", store.CaseClosed); err != nil {
				return err
			}
		}
	}

	// This week's inbox, in every status.
	real := time.Now()
	inbox := []string{store.CaseNew, store.CaseNew, store.CaseWorking, store.CaseWorking, store.CaseAnswered,
		store.CaseAnswered, store.CaseClosed, store.CaseMediation, store.CaseLegalAid, store.CaseNew}
	for i, status := range inbox {
		at := real.Add(-time.Duration(len(inbox)-i) * 7 * time.Hour)
		t := consultText[(i+3)%len(consultText)]
		n := len(s.followers)
		openid := s.followers[((n-1-i)%n+n)%n] // the newest followers
		id, err := s.openCase(ctx, openid, t.question, at)
		if err != nil {
			return err
		}
		now = at.Add(time.Hour)
		if status != store.CaseNew || i%2 == 0 {
			if err := svc.SetCategory(ctx, id, Staff, t.category); err != nil {
				return err
			}
		}
		switch status {
		case store.CaseWorking:
			err = svc.Assign(ctx, id, Staff, Staff, []string{Staff})
		case store.CaseAnswered, store.CaseClosed:
			err = svc.RecordCall(ctx, id, Staff, cases.Call{At: now.Add(-10 * time.Minute), Summary: "已电话答复，建议先协商，协商不成可申请人民调解。"})
			if err == nil && status == store.CaseClosed {
				err = svc.SetStatus(ctx, id, Staff, "", store.CaseClosed)
			}
		case store.CaseMediation, store.CaseLegalAid:
			err = svc.SetStatus(ctx, id, Staff, "", status)
		}
		if err != nil {
			return fmt.Errorf("case %s to %s: %w", id, status, err)
		}
	}
	return nil
}

// openCase records a 转人工 with the conversation that led to it.
func (s *seeder) openCase(ctx context.Context, openid, question string, at time.Time) (string, error) {
	community, _ := s.communityOf(openid)
	r, err := s.deps.Store.RequestConsultation(ctx, store.ConsultRequest{OpenID: openid, Question: question, At: at,
		Community: community, Transcript: []store.CaseMessage{
			{At: at.Add(-time.Minute), From: store.FromResident, Text: question},
			{At: at.Add(-time.Minute), From: store.FromBot, Text: "您的问题涉及具体情况，建议回复“转人工”由工作人员为您解答。"},
			{At: at, From: store.FromResident, Text: "转人工"},
			{At: at, From: store.FromBot, Text: botAnswer},
		}})
	if err != nil {
		return "", err
	}
	if r.Limited || r.ID == "" {
		return "", fmt.Errorf("the consultation of %s at %s was not recorded", openid, at.Format(time.RFC3339))
	}
	return r.ID, nil
}

// communityOf is the community id the seed gave the follower.
func (s *seeder) communityOf(openid string) (string, bool) {
	for i, o := range s.followers {
		if o == openid {
			c := communityOf(i)
			return c, c != ""
		}
	}
	return "", false
}
