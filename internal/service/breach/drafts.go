package breach

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// The drafts are written from the incident, its scope and decision each
// time they are shown, never stored: the person's name enters only when a
// handler opens that person's draft (OpenDraft, audited as a read of the
// name). Placeholders in [brackets] are for the handler to fill in.

// NamePlaceholder stands for the person's name in a draft not yet opened.
const NamePlaceholder = "[name]"

var fieldNames = map[string][2]string{
	crm.FieldName:       {"your name", "您的姓名"},
	crm.FieldEmail:      {"your email address", "您的电子邮箱地址"},
	crm.FieldPhone:      {"your phone number", "您的电话号码"},
	crm.FieldNationalID: {"your national identity number", "您的身份证号码"},
	crm.FieldNotes:      {"notes about our dealings with you", "我们与您往来的备注"},
	crm.FieldTags:       {"the labels on your record", "您记录上的标签"},
	crm.FieldAssessment: {"a counselling assessment (sensitive information)", "心理评估（敏感个人信息）"},
}

// describeFields names the fields touched, in the language (0 en, 1 zh).
func describeFields(fields []string, lang int) string {
	var parts []string
	for _, f := range fields {
		if n, ok := fieldNames[f]; ok {
			parts = append(parts, n[lang])
		} else {
			parts = append(parts, f)
		}
	}
	if len(parts) == 0 {
		return [2]string{"the existence of your record with us", "您在我们这里的记录"}[lang]
	}
	return strings.Join(parts, [2]string{", ", "、"}[lang])
}

// sensitive reports whether fields hold a special category or an
// identity number: the harm is then likely to be high.
func sensitive(fields []string) bool {
	return slices.Contains(fields, crm.FieldAssessment) || slices.Contains(fields, crm.FieldNationalID)
}

func drillBanner(i Incident) (string, string) {
	if i.Drill {
		return "*** DRILL — SIMULATED INCIDENT, DO NOT SEND ***\n\n", "*** 演练——模拟事件，请勿发送 ***\n\n"
	}
	return "", ""
}

// fill puts the organisation and its privacy officer's contact, when
// serve is told them (--organisation, --privacy-contact), in place of the
// drafts' brackets.
func (s *Incidents) fill(d Drafts) Drafts {
	var pairs []string
	if s.c.Org != "" {
		pairs = append(pairs, "[Organisation]", s.c.Org, "[机构名称]", s.c.Org)
	}
	if s.c.Contact != "" {
		pairs = append(pairs, "[DPO name and contact]", s.c.Contact, "[负责人姓名及联系方式]", s.c.Contact, "[姓名及联系方式]", s.c.Contact)
	}
	r := strings.NewReplacer(pairs...)
	return Drafts{EN: r.Replace(d.EN), ZH: r.Replace(d.ZH)}
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// personDrafts is the notice to one person (GDPR Art. 34(2), PIPL Art. 57,
// CCPA §1798.82(d)): what happened, what of theirs, when, the likely
// consequences, what was done and what they can do, and whom to ask.
func personDrafts(i Incident, x Subject, name string) Drafts {
	if name == "" {
		name = NamePlaceholder
	}
	from, to := i.WindowFrom, i.WindowTo
	if !x.FirstAt.IsZero() {
		from, to = x.FirstAt, x.LastAt
	}
	en, zh := drillBanner(i)
	en += fmt.Sprintf(`Dear %s,

We are writing to tell you about a personal data breach that affects you.

What happened: %s (discovered %s).
What of yours was involved: %s, accessed between %s and %s.
Likely consequences: %s
What we have done: we stopped the unauthorised access, are reviewing every access to your data, and have told the supervisory authority where the law requires it.
What you can do: be wary of messages that claim to come from us or that mention these details; you may ask us for a copy of your data, its correction or its erasure.
Whom to ask: our data protection officer, [DPO name and contact].

[Organisation]`,
		name, i.Title, day(i.DiscoveredAt), describeFields(x.Fields, 0), day(from), day(to),
		map[bool]string{true: "the information is sensitive and could be misused to harm you or to impersonate you.", false: "someone may use these details to contact you or to pose as us."}[sensitive(x.Fields)])
	zh += fmt.Sprintf(`%s：

我们特此告知您一起涉及您的个人信息泄露事件。

发生了什么：%s（发现于 %s）。
涉及您的哪些信息：%s，于 %s 至 %s 期间被访问。
可能造成的影响：%s
我们已采取的措施：已阻止未经授权的访问，正在核查对您数据的每一次访问，并已依法向监管部门报告。
您可以采取的措施：请警惕自称来自我们或提及上述信息的消息；您可以要求我们提供、更正或删除您的数据。
联系方式：我们的个人信息保护负责人，[负责人姓名及联系方式]。

[机构名称]`,
		name, i.Title, day(i.DiscoveredAt), describeFields(x.Fields, 1), day(from), day(to),
		map[bool]string{true: "这些信息较为敏感，可能被滥用而对您造成损害或被用于冒充您。", false: "他人可能利用这些信息联系您或冒充我们。"}[sensitive(x.Fields)])
	return Drafts{EN: en, ZH: zh}
}

// authorityDrafts is the notice to the supervisory authority with what
// GDPR Art. 33(3) asks: the nature of the breach, the categories and
// approximate numbers of people and records, the DPO's contact, the likely
// consequences and the measures taken or proposed (PIPL Art. 57 asks the
// same of a notice to the authority).
func authorityDrafts(i Incident, now time.Time) Drafts {
	fields := allFields(i.Subjects)
	events := i.ScopeEvents
	scopeEN, scopeZH := fmt.Sprintf("about %d people (customers), %d recorded accesses; data: %s", i.Affected, events, strings.Join(fieldsOr(fields), ", ")),
		fmt.Sprintf("约 %d 名个人（客户），%d 次有记录的访问；涉及数据：%s", i.Affected, events, strings.Join(fieldsOr(fields), "、"))
	if i.ScopedAt.IsZero() {
		scopeEN, scopeZH = "[not yet scoped from the audit log]", "[尚未根据审计日志确定范围]"
	}
	risk := sensitive(fields)
	late, lateZH := "", ""
	if !i.NotifiedAt.IsZero() && i.NotifiedAt.After(i.DueAt) || i.AuthorityOwed() && now.After(i.DueAt) {
		late, lateZH = "\nReasons for the delay (Art. 33(1)): [reasons]", "\n迟延原因：[原因]"
	}
	en, zh := drillBanner(i)
	en += fmt.Sprintf(`To: [supervisory authority]
Notification of a personal data breach (GDPR Art. 33; PIPL Art. 57)

Controller: [Organisation], data protection officer [DPO name and contact]
Reference: %s
Nature of the breach: %s — %s (what was compromised: %s)
Discovered: %s; accesses between %s and %s
Categories and approximate numbers: %s
Likely consequences: %s
Measures taken or proposed: %s
People informed: %s%s`,
		i.ID, i.Title, i.Description, i.Kind, day(i.DiscoveredAt), day(i.WindowFrom), day(i.WindowTo), scopeEN,
		map[bool]string{true: "high: sensitive or identifying data; risk of fraud, impersonation or distress.", false: "contact details may be misused for phishing or impersonation."}[risk],
		measures(i, 0), peopleInformed(i, 0), late)
	zh += fmt.Sprintf(`致：[监管部门]
个人信息泄露事件报告（《个人信息保护法》第五十七条；GDPR 第 33 条）

个人信息处理者：[机构名称]，个人信息保护负责人 [姓名及联系方式]
编号：%s
事件性质：%s——%s（被攻破的对象：%s）
发现时间：%s；访问时间段 %s 至 %s
涉及的信息种类及大致数量：%s
可能造成的影响：%s
已采取或拟采取的措施：%s
个人告知情况：%s%s`,
		i.ID, i.Title, i.Description, i.Kind, day(i.DiscoveredAt), day(i.WindowFrom), day(i.WindowTo), scopeZH,
		map[bool]string{true: "较高：涉及敏感或身份识别信息，存在欺诈、冒用或造成困扰的风险。", false: "联系方式可能被用于网络钓鱼或冒充。"}[risk],
		measures(i, 1), peopleInformed(i, 1), lateZH)
	return Drafts{EN: en, ZH: zh}
}

func fieldsOr(fields []string) []string {
	if len(fields) == 0 {
		return []string{"-"}
	}
	return fields
}

func measures(i Incident, lang int) string {
	var done []string
	for _, t := range i.Tasks {
		if !t.DoneAt.IsZero() {
			done = append(done, t.Title)
		}
	}
	if len(done) == 0 {
		return [2]string{"[measures]", "[措施]"}[lang]
	}
	return strings.Join(done, [2]string{"; ", "；"}[lang])
}

func peopleInformed(i Incident, lang int) string {
	if i.Decision == nil {
		return [2]string{"[not yet decided]", "[尚未决定]"}[lang]
	}
	texts := map[string][2]string{
		"high_risk":    {"yes, each person is told directly (Art. 34(1))", "是，已逐一直接告知本人"},
		"no_high_risk": {"no: the breach is unlikely to result in a high risk to them (Art. 34(1))", "否：该事件不太可能对个人造成高风险"},
		"art34_3a":     {"no: the data was encrypted and the key was not taken (Art. 34(3)(a))", "否：数据已加密且密钥未被窃取（GDPR 第 34(3)(a) 条；《个人信息保护法》第五十七条第二款）"},
		"art34_3b":     {"no: measures taken since remove the high risk (Art. 34(3)(b))", "否：后续措施已消除高风险（GDPR 第 34(3)(b) 条）"},
		"art34_3c":     {"by public communication: telling each would take disproportionate effort (Art. 34(3)(c))", "以公告方式告知：逐一告知需付出不成比例的努力（GDPR 第 34(3)(c) 条）"},
	}
	return texts[i.Decision.PeopleReason][lang]
}

// OpenDraft writes the notice to one person of the incident's scope, with
// their name opened through the customer's key. Audited as a read of the
// name (incident.draft on the customer).
func (s *Incidents) OpenDraft(ctx context.Context, a authz.Actor, id, customerID string) (Drafts, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return Drafts{}, err
	}
	if !crm.ValidID(customerID) {
		return Drafts{}, errs.E(errs.NotExist, "this customer is not in the incident's scope")
	}
	var out Drafts
	err := core.Change(ctx, s.c, draftStoreOf, func(tx draftStore) error {
		r, err := loadIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		x, err := tx.IncidentSubject(ctx, id, customerID)
		if errs.Is(err, errs.NotExist) {
			return errs.E(errs.NotExist, "this customer is not in the incident's scope")
		} else if err != nil {
			return err
		}
		// The notice is a legal duty the privacy centre carries out, as a
		// request's export is: its handler (the privacy officer has no
		// grant on customers) opens the name of a person in the incident's
		// scope, and only that, audited on the person.
		row, err := tx.CustomerByID(ctx, customerID)
		if err != nil {
			return core.NotFound(err, "customer")
		}
		name, shown := "", []string(nil)
		if len(row.Sealed[crm.FieldName]) > 0 {
			key, err := s.c.CustomerKey(row)
			if err != nil {
				return err
			}
			if name, err = fieldcrypt.Open(key, fieldcrypt.Place{Table: "customers", Column: store.CustomerColumns[crm.FieldName], Row: customerID}, row.Sealed[crm.FieldName]); err != nil {
				return errs.Wrap(errs.Internal, "breach.OpenDraft", "", err)
			}
			shown = []string{crm.FieldName}
		}
		out = s.fill(personDrafts(incidentOf(r), subjectOf(x), name))
		return s.c.Record(ctx, tx, a, "incident.draft", "customer", customerID, shown, audit.Success, "breach notice draft, incident "+id)
	})
	return out, err
}

// draftStore is what the methods in drafts.go read.
type draftStore interface {
	audit.Appender
	core.CustomerStore
	IncidentByID(ctx context.Context, id string) (store.IncidentRow, error)
	IncidentSubject(ctx context.Context, incidentID, customerID string) (store.IncidentSubjectRow, error)
}

// draftStoreOf is the compiler's check that the store has every method of draftStore.
func draftStoreOf(tx *store.Tx) draftStore { return tx }
