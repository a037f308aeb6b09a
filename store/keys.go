package store

import "strconv"

// Key layout. Every key starts with the configured prefix (default "pufa:").
// Keys holding one resident's personal data carry the openid as a hash tag,
// {openid}, so they share a Cluster slot and can be erased together.
//
//	callback:{<openid>}:<dedup id>   string  dedup record of one processed callback: "p"
//	                                         while processing (lease TTL), "r"+reply body
//	                                         when answered (TTL ≥ 60 s, default 5 min);
//	                                         keyword replies record nothing and keep none;
//	                                         erasure deletes the answered ones (callbacks:)
//	callbacks:{<openid>}             zset    dedup ids of the resident's answered callbacks, scored
//	                                         by their records' expiry (ms), so that erasure finds
//	                                         and deletes the stored replies; TTL = bot.dedup_ttl
//	callsig:<signature>              string  sha256 (hex) of the one body a signed callback URL
//	                                         (timestamp, nonce, signature) may carry: set NX by
//	                                         its first delivery, kept until the timestamp leaves
//	                                         wechat.max_clock_skew (24 h when the check is off)
//	user:{<openid>}                  hash    profile: community, subscribed_at, last_in (unix time of
//	                                         the resident's last message or event: WeChat's 48-hour
//	                                         customer-service window runs from it)
//	user:{<openid>}:transcript       list    the resident's recent messages and the replies, JSON
//	                                         store.CaseMessage, last TranscriptMax, 72 h TTL; copied
//	                                         into a case when it opens
//	user:{<openid>}:case             string  id of the resident's case not yet closed, whose
//	                                         conversation their next messages join
//	user:{<openid>}:last             string  last question asked (for 转人工), 1 day TTL
//	user:{<openid>}:consults         set     ids of the user's consultation requests
//	user:{<openid>}:more             hash    "更多" cursor: q (the question), next (offset), 1 h TTL
//	user:{<openid>}:context          hash    the last question answered with confidence: q, entry
//	                                         (answer id); read for a follow-up such as "那孩子呢",
//	                                         10 min TTL
//	user:{<openid>}:choices          list    answer ids offered as "您是想问 1/2/3", 10 min TTL
//	user:{<openid>}:quiz             string  id of the quiz the resident is answering now; TTL =
//	                                         quiz.idle_timeout, renewed by every message
//	user:{<openid>}:quizzes          set     ids of quizzes holding the resident's records, so
//	                                         erasure can find them in the quizzes' slots
//	community:<id>:followers         set     openids of current followers from that community
//	consult:seq                      string  last consultation id issued
//	consult:<id>                     hash    one consultation (a case): openid, question (at most
//	                                         ConsultMaxRunes), status (new|working|answered|closed|
//	                                         mediation|legal_aid), created, updated, community,
//	                                         category, assignee, log (the conversation, one JSON
//	                                         CaseMessage a line, last 60); expires
//	                                         bot.consult_retention after it is answered, closed
//	                                         or handed over; records from before cases hold the
//	                                         first four fields only
//	consult:index                    zset    consultation ids scored by creation time; ids whose
//	                                         record expired are dropped when listed
//	consult:day:<yyyymmdd>           hash    requests that day per resident, under a keyed hash of
//	                                         the openid (no openid), for bot.consult_daily_limit
//	                                         and to count each resident once a day; 48 h TTL
//	stats:<yyyymmdd>                 hash    aggregate counters of one day (Asia/Shanghai),
//	                                         never expire, never personal: see Metric*
//	topics:<yyyymmdd>                zset    questions per topic (FAQ entry or law chapter) that day
//	wxcache:<name>                   string  WeChat SDK cache entries (access token)
//
// Campaigns (store/campaigns.go, store/runs.go). Every key of one campaign
// carries its id as the hash tag {<id>}, so the Lua scripts that move a
// campaign, a fire or a recipient run on one Cluster slot. <fire> is the fire time in Unix seconds.
//
//	campaign:index                   set     ids of campaigns with recorded state
//	campaign:{<id>}                  hash    lifecycle: state, approved_by/_at/_hash, last_fire,
//	                                         fires, missed_fires, previewed_*, reach_* counters
//	campaign:{<id>}:log              list    state changes "unix|from|to|event|by|note" (last 500)
//	campaign:{<id>}:fire:<fire>      string  fire-once claim of one fire time (run|skip|late);
//	                                         30 days TTL, far beyond any catch-up window
//	campaign:{<id>}:runs             zset    fire times that started a run, scored by fire
//	campaign:{<id>}:mass             hash    MASSSENDJOBFINISH counts by msg_id:
//	                                         "<fire> <total> <filter> <sent> <errors> <status>"
//	campaign:{<id>}:run:<fire>       hash    one run: phase, state, channel, content snapshot,
//	                                         total, done, sent, failed, unknown, consec, ...
//	campaign:{<id>}:run:<fire>:queue list    audience snapshot not yet claimed (openids or
//	                                         mass items "all", "tag:<id>", "b:<n>")
//	campaign:{<id>}:run:<fire>:status hash   per-recipient result: i:<ms> in flight, r retry,
//	                                         s[:<msgid>] sent, f:<code> failed (errcode or the
//	                                         SMS gateway's code), u unknown (see ItemStatus),
//	                                         d delivered / b:<status> (TEMPLATESENDJOBFINISH);
//	                                         by openid while the run goes on, then by "~" + a
//	                                         keyed hash of campaign, fire and openid
//	                                         (ForgetRunRecipients), which no other run shares
//	campaign:{<id>}:run:<fire>:inflight zset claimed items by lease deadline (ms)
//	campaign:{<id>}:run:<fire>:retry list    items to claim again before the queue
//	campaign:{<id>}:run:<fire>:batches hash  mass batch n → its openids, newline-separated; deleted
//	                                         when the run has finished
//	sms:lists                        set     names of SMS lists (store/sms.go)
//	sms:list:{<name>}                set     mobile numbers of residents who agreed to receive the
//	                                         office's SMS; audience.sms_list of an sms campaign.
//	                                         EraseSMSNumber removes a number from every list
//	campaign:msg:<msg_id>            string  "<id> <fire> <kind>" of a WeChat msg_id, for reach
//	                                         callbacks; 30 days TTL
//	ratelimit:<name>                 string  GCRA theoretical arrival time (µs) of a rate shared
//	                                         by all replicas
//	quota:mass:<yyyymmdd>            string  subscription accounts: "<id> <fire>" that used the
//	                                         day's one mass send; 2 days TTL
//	campaign:archive                 hash    "<id> <fire>" → JSON ArchivedRun: title, theme, channel,
//	                                         quiz and times of every run as it started; never
//	                                         expires (store/archive.go), the report's only list
//	                                         of runs
//	campaign:{<id>}:reads            hash    "<fire> <yyyy-mm-dd>" → JSON ArticleRead: WeChat's
//	                                         read figures of one run on one day; never expire
//	followers:<yyyymmdd>             hash    the account's followers that day from WeChat's user
//	                                         summary and cumulate: new, cancelled, total; never
//	                                         expire (store/wxfigures.go)
//
// Offline activity ledger (store/ledger.go) and staff console
// (store/console.go). An entry's keys carry its id as hash tag.
//
//	ledger:seq                       string  last ledger entry id issued
//	ledger:{<id>}                    hash    one activity: date, community, kind, count,
//	                                         participants, note, version, created_*, updated_*
//	ledger:{<id>}:history            list    earlier versions of the entry as JSON, oldest first
//	ledger:index                     zset    entry ids scored by activity date (Unix, China midnight)
//	console:session:<id>             hash    staff session: user, role, csrf, created, cred (fingerprint
//	                                         of the account's role and password hash); TTL = session length
//	console:fail:<user>              hash    login attempts of one account since its last success, from
//	                                         any address: n, last_ms; expires a day after the last one
//	console:account:<user>           hash    console account kept in Redis: hash (bcrypt), role
//	console:audit                    list    state-changing console actions as JSON (last 10000)
//	console:preview                  hash    staff registered to receive campaign previews:
//	                                         openid → JSON {name, added_by, added_at}
//
// Community registry (store/communities.go). One hash tag, {registry}: the
// registry is small (one office's communities) and an auto-registration
// must not overwrite a community staff named meanwhile (HSETNX).
//
//	community:{registry}             hash    community id (QR scene string) → JSON Community
//	community:{registry}:qr          hash    community id → JSON QRTicket of its permanent QR code
//
// Mediation and legal-aid ledger (store/mediation.go): one record book each,
// "dispute" (排查调处的矛盾纠纷) and "legalaid" (法律援助转介). A record's keys
// carry its id as hash tag, so an edit and its history move in one script.
//
//	<book>:seq                       string  last record id issued
//	<book>:{<id>}                    hash    doc (the record as JSON), version
//	<book>:{<id>}:history            list    earlier docs of the record, oldest first
//	<book>:index                     zset    record ids scored by the record's date (Unix, China midnight)
//	<book>:source:<source>           string  id of the record made from <source> (e.g. case:12), set before the record
//
// Staff binding (store/staffbind.go).
//
//	console:bind:<code>              string  JSON StaffBindCode: a one-time 6-digit code a staff
//	                                         member sends to the account ("绑定 123456") to become
//	                                         a preview recipient; 10 min TTL, deleted when used
//
// Campaign definitions (store/campaigndefs.go), the one source of truth for
// what each campaign sends; YAML files are imported into it. The keys share
// the hash tag {defs} so a save and the version bump are one script.
//
//	campaigndef:{defs}               hash    campaign id → JSON CampaignDef: canonical YAML,
//	                                         version, source (console|import|dir), source
//	                                         file and its sha256, updated_by/_at
//	campaigndef:{defs}:version       string  bumped by every save; readers poll it and reparse
//	                                         the definitions when it moves
//
// Staff edits of the answer bank (问答库, store/bank.go), layered over the
// bank shipped in the binary. The keys share the hash tag {edits}: a save
// replaces the entry's edit, keeps the old one and bumps the version in one
// script.
//
//	bank:{edits}                     hash    entry id → the entry as staff left it (JSON BankEdit:
//	                                         the knowledge.EntryRecord fields plus version,
//	                                         change, edited_by, edited_at)
//	bank:{edits}:version             string  bumped by every save; replicas poll it (~30 s) and
//	                                         reload the edits when it moves
//	bank:{edits}:history:<id>        list    the edits one entry's current edit replaced, JSON,
//	                                         oldest first
//
// Articles (图文, store/articles.go). An article's keys carry its id as
// hash tag; images are named by a hash of their bytes.
//
//	article:seq                      string  last article id issued
//	article:{<id>}                   hash    record (the article as JSON, version included), version,
//	                                         sync (JSON ArticleSync: cover and draft media_ids, hash
//	                                         of the draft last sent to WeChat)
//	article:{<id>}:history           list    earlier versions as JSON, oldest first (last 200)
//	article:{<id>}:campaigns         set     ids of the campaigns that used the article
//	article:{<id>}:synclock          string  lease of the one sync running for the article (2 min)
//	article:index                    zset    article ids scored by last save (ms)
//	article:image:{<image id>}       hash    uploaded image (jpg/png, capped): content_type, data,
//	                                         name, added_by, added_at, wechat_url (uploadimg),
//	                                         media_id (permanent material, covers)
//
// Article sends (store/reads.go): which run mass-sent which article under
// which msg_data_ids, for the daily data-cube job to find its figures.
//
//	campaign:{<id>}:articlesends     hash    fire (unix s) → JSON ArticleSend: the article, its
//	                                         msg_data_ids, the cumulative figures last fetched;
//	                                         never expires
//	articlesend:index                zset    "<id> <fire>" of every ArticleSend, scored by fire
//	job:<name>:<period>              string  fire-once claim of one run of a scheduled job (the
//	                                         daily data-cube fetch: job:datacube:<yyyymmdd>); 3 days TTL
//
// A run's per-recipient keys hold openids only while it runs: the claim and
// record scripts need them to send each recipient once. When it has
// finished, ForgetRunRecipients renames its statuses to pseudonyms and
// drops its batches; the keys expire runRetention (90 days) after the end.
// Erasure on unsubscribe does not reach into a running run: the resident's
// status there is needed to send nobody twice.
//
// Quizzes (store/quiz.go). Every key of one quiz carries its id as the hash
// tag {<id>}, including each resident's progress in it: the answer script
// must check the resident's attempt and position, record the answer, add to
// the per-question counters and move the leaderboard in one atomic step, and
// Cluster runs a script on one slot only. The resident's own slot {<openid>}
// holds only the session pointer and the index of quizzes taken, which
// EraseUser follows to delete the progress hashes and leaderboard entries.
// Aggregates (stats, communities) hold no openid and survive erasure.
//
//	quiz:{<id>}:p:<openid>           hash    one resident's progress: state (active|done), attempt,
//	                                         pos, correct, order (question ids), a<i> answers,
//	                                         last_at (ms), last_ans, best, community, started,
//	                                         finished; expires QuizRetention after the quiz closes
//	quiz:{<id>}:stats                hash    aggregates: participants, attempts, finished,
//	                                         completions, score_sum, best_sum, full_marks,
//	                                         q:<qid>:n, q:<qid>:ok, q:<qid>:a:<answer>; never expire
//	quiz:{<id>}:communities          hash    <community>:participants|completions|best_sum
//	quiz:{<id>}:board                zset    openid → best*1e10 + (9999999999 − finish unix s): more
//	                                         right answers first, then the earlier finish
//	quiz:{<id>}:seen:<pseudonym>     hash    one resident's attempts record, named by a keyed hash
//	                                         (HMAC-SHA256, redis.pseudonym_key) of quiz id and
//	                                         openid, holding no openid: n (attempts started), c
//	                                         (community credited), b (best right answers). Survives
//	                                         erasure, so unfollowing and following again neither
//	                                         resets an attempts limit nor counts the resident or a
//	                                         second community again; expires a day after the quiz
//	                                         closes

func (s *Store) keyCallback(openid, id string) string   { return s.key("callback", tag(openid), id) }
func (s *Store) keyCallbackURL(signature string) string { return s.key("callsig", signature) }
func (s *Store) keyCallbackIndex(openid string) string  { return s.key("callbacks", tag(openid)) }
func (s *Store) keyUser(openid string) string           { return s.key("user", tag(openid)) }
func (s *Store) keyUserLast(openid string) string       { return s.keyUser(openid) + ":last" }
func (s *Store) keyUserConsults(openid string) string {
	return s.keyUser(openid) + ":consults"
}
func (s *Store) keyUserTranscript(openid string) string { return s.keyUser(openid) + ":transcript" }
func (s *Store) keyUserCase(openid string) string       { return s.keyUser(openid) + ":case" }
func (s *Store) keyCommunityFollowers(id string) string { return s.key("community", id, "followers") }
func (s *Store) keyConsultSeq() string                  { return s.key("consult", "seq") }
func (s *Store) keyConsult(id string) string            { return s.key("consult", id) }
func (s *Store) keyConsultIndex() string                { return s.key("consult", "index") }
func (s *Store) keyConsultDay(day string) string        { return s.key("consult", "day", day) }
func (s *Store) keyStats(day string) string             { return s.key("stats", day) }
func (s *Store) keyWXCache(name string) string          { return s.key("wxcache", name) }

// userKeys lists every key holding the personal data of one resident; erasure
// deletes them all. A package that adds per-user state adds its key here.
func (s *Store) userKeys(openid string) []string {
	return []string{s.keyUser(openid), s.keyUserLast(openid), s.keyUserConsults(openid), s.keyUserMore(openid),
		s.keyUserQuiz(openid), s.keyUserQuizzes(openid), s.keyUserContext(openid), s.keyUserChoices(openid),
		s.keyUserTranscript(openid), s.keyUserCase(openid)}
}

func (s *Store) keyUserContext(openid string) string { return s.keyUser(openid) + ":context" }
func (s *Store) keyUserChoices(openid string) string { return s.keyUser(openid) + ":choices" }

func (s *Store) keyUserMore(openid string) string { return s.keyUser(openid) + ":more" }
func (s *Store) keyTopics(day string) string      { return s.key("topics", day) }

// Quizzes.

func (s *Store) keyUserQuiz(openid string) string    { return s.keyUser(openid) + ":quiz" }
func (s *Store) keyUserQuizzes(openid string) string { return s.keyUser(openid) + ":quizzes" }
func (s *Store) keyQuiz(id string) string            { return s.key("quiz", tag(id)) }
func (s *Store) keyQuizProgress(id, openid string) string {
	return s.keyQuiz(id) + ":p:" + openid
}
func (s *Store) keyQuizStats(id string) string       { return s.keyQuiz(id) + ":stats" }
func (s *Store) keyQuizCommunities(id string) string { return s.keyQuiz(id) + ":communities" }
func (s *Store) keyQuizBoard(id string) string       { return s.keyQuiz(id) + ":board" }

// keyQuizAttempts names the attempts record by a keyed hash of openid and
// quiz, so that it can outlive the resident's erasure without the openid.
func (s *Store) keyQuizAttempts(id, openid string) string {
	return s.keyQuiz(id) + ":seen:" + s.pseudonym("quiz attempts", id, openid)
}

// Campaigns.

func (s *Store) keyCampaignIndex() string        { return s.key("campaign", "index") }
func (s *Store) keyCampaign(id string) string    { return s.key("campaign", tag(id)) }
func (s *Store) keyCampaignLog(id string) string { return s.keyCampaign(id) + ":log" }
func (s *Store) keyCampaignFire(id string, fire int64) string {
	return s.keyCampaign(id) + ":fire:" + strconv.FormatInt(fire, 10)
}
func (s *Store) keyCampaignRuns(id string) string { return s.keyCampaign(id) + ":runs" }
func (s *Store) keyCampaignMass(id string) string { return s.keyCampaign(id) + ":mass" }
func (s *Store) keyCampaignArchive() string       { return s.key("campaign", "archive") }
func (s *Store) keyCampaignReads(id string) string {
	return s.keyCampaign(id) + ":reads"
}
func (s *Store) keyFollowerDay(day string) string { return s.key("followers", day) }
func (s *Store) keyRun(id string, fire int64) string {
	return s.keyCampaign(id) + ":run:" + strconv.FormatInt(fire, 10)
}
func (s *Store) keyCampaignMsg(msgID int64) string {
	return s.key("campaign", "msg", strconv.FormatInt(msgID, 10))
}
func (s *Store) keySMSLists() string             { return s.key("sms", "lists") }
func (s *Store) keySMSList(name string) string   { return s.key("sms", "list", tag(name)) }
func (s *Store) keyRateLimit(name string) string { return s.key("ratelimit", name) }
func (s *Store) keyMassQuota(day string) string  { return s.key("quota", "mass", day) }

// Ledger and console.

func (s *Store) keyLedgerSeq() string              { return s.key("ledger", "seq") }
func (s *Store) keyLedger(id string) string        { return s.key("ledger", tag(id)) }
func (s *Store) keyLedgerHistory(id string) string { return s.keyLedger(id) + ":history" }
func (s *Store) keyLedgerIndex() string            { return s.key("ledger", "index") }
func (s *Store) keySession(id string) string       { return s.key("console", "session", id) }
func (s *Store) keyLoginFail(user string) string   { return s.key("console", "fail", user) }
func (s *Store) keyAccount(user string) string     { return s.key("console", "account", user) }
func (s *Store) keyAudit() string                  { return s.key("console", "audit") }

func (s *Store) keyPreviewRecipients() string        { return s.key("console", "preview") }
func (s *Store) keyStaffBindCode(code string) string { return s.key("console", "bind", code) }

// Campaign definitions.

func (s *Store) keyCampaignDefs() string        { return s.key("campaigndef", tag("defs")) }
func (s *Store) keyCampaignDefsVersion() string { return s.keyCampaignDefs() + ":version" }

// Answer bank edits.

func (s *Store) keyBankEdits() string   { return s.key("bank", tag("edits")) }
func (s *Store) keyBankVersion() string { return s.keyBankEdits() + ":version" }
func (s *Store) keyBankHistory(id string) string {
	return s.keyBankEdits() + ":history:" + id
}

// Articles.

func (s *Store) keyArticleSeq() string                { return s.key("article", "seq") }
func (s *Store) keyArticle(id string) string          { return s.key("article", tag(id)) }
func (s *Store) keyArticleHistory(id string) string   { return s.keyArticle(id) + ":history" }
func (s *Store) keyArticleCampaigns(id string) string { return s.keyArticle(id) + ":campaigns" }
func (s *Store) keyArticleSyncLock(id string) string  { return s.keyArticle(id) + ":synclock" }
func (s *Store) keyArticleIndex() string              { return s.key("article", "index") }
func (s *Store) keyArticleImage(id string) string     { return s.key("article", "image", tag(id)) }

// Article sends and scheduled jobs (store/reads.go).

func (s *Store) keyArticleSends(id string) string  { return s.keyCampaign(id) + ":articlesends" }
func (s *Store) keyArticleSendIndex() string       { return s.key("articlesend", "index") }
func (s *Store) keyJob(name, period string) string { return s.key("job", name, period) }

// Community registry and the mediation / legal-aid record books.

// book names a record book of the mediation / legal-aid ledger
// (store/mediation.go); it is the first part of its keys.
type book string

const (
	bookDisputes book = "dispute"
	bookLegalAid book = "legalaid"
)

func (s *Store) keyCommunities() string   { return s.key("community", tag("registry")) }
func (s *Store) keyCommunityQR() string   { return s.keyCommunities() + ":qr" }
func (s *Store) keyBookSeq(b book) string { return s.key(string(b), "seq") }
func (s *Store) keyBookRecord(b book, id string) string {
	return s.key(string(b), tag(id))
}
func (s *Store) keyBookHistory(b book, id string) string { return s.keyBookRecord(b, id) + ":history" }
func (s *Store) keyBookIndex(b book) string              { return s.key(string(b), "index") }

// keyBookSource maps what a record was made from (e.g. a consultation case
// handed to mediation) to the record's id, so a retried hand-off records once.
func (s *Store) keyBookSource(b book, source string) string {
	return s.key(string(b), "source", source)
}
