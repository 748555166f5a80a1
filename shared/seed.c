/* SPDX-License-Identifier: MIT */
/*
 * seed: demo data for the console, the tests and the benchmarks.
 *
 * The organisation and the apps are few rows, upserted one statement at a time (users in
 * array-parameter batches).  Sessions, tasks and history are many: they are written with
 * COPY inside the same transaction, with ids computed here.  The three tables are locked
 * (EXCLUSIVE: readers go on, writers wait) and each id range starts after both the table's
 * largest id and its sequence's last value; the sequences are moved past the new rows before
 * the commit.  Each session's plan (app, current node, people, times) comes from its own
 * random stream, so the three COPY passes regenerate the same plan without keeping rows in
 * memory.
 *
 * Memory: the user pool (ids, logins, names) and the COPY buffer are owned by a struct
 * seed_ctx that seed_run frees; the static tables below are read-only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mem.h"
#include "seed.h"

#define SEED_COPY_CHUNK (1u << 20)
#define SEED_USER_BATCH 5000
#define SEED_MAX_NODES 4

/* ---- random numbers: splitmix64, one stream per purpose ---------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static unsigned
rng_below(struct rng *r, unsigned n)
{
	return n <= 1 ? 0 : (unsigned)(rng_next(r) % n);
}

/* A stream for (seed, purpose, index). */
static void
rng_init(struct rng *r, unsigned seed, unsigned purpose, uint64_t i)
{
	r->s = mix64(((uint64_t)seed << 32 | purpose) ^ mix64(i + 0x632be59bd9b4e019ULL));
}

#define PICK(r, arr) ((arr)[rng_below((r), (unsigned)(sizeof(arr) / sizeof((arr)[0])))])

/* ---- names -------------------------------------------------------------------------------- */

static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
	"郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
	"彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
	"魏", "吕", "丁", "任", "沈", "欧阳", "司马", "上官"};

static const char *const given[] = {
	"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
	"明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "萍", "鹏", "辉", "建",
	"文", "斌", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "欣", "晨",
	"晶", "婷", "雪", "琳", "颖", "倩", "慧", "佳", "子", "梓", "涵", "欢", "航", "思", "雨",
	"嘉", "博", "睿", "泽", "一", "诺", "若", "晓", "志", "海"};

void
seed_person_name(unsigned seed, long i, char *out, size_t n)
{
	struct rng r;
	const char *s;

	rng_init(&r, seed, 1, (uint64_t)i);
	/* Two-character surnames are rare. */
	s = rng_below(&r, 100) < 2 ? surnames[50 + rng_below(&r, 3)] : surnames[rng_below(&r, 50)];
	if (rng_below(&r, 4) == 0)
		snprintf(out, n, "%s%s", s, PICK(&r, given));
	else {
		const char *a = PICK(&r, given), *b = PICK(&r, given);

		snprintf(out, n, "%s%s%s", s, a, b);
	}
}

void
seed_login(long i, char *out, size_t n)
{
	snprintf(out, n, "u%05ld", i);
}

/* ---- the organisation --------------------------------------------------------------------- */

struct dept_def {
	const char *name;
	int parent; /* index in depts, -1 for the root */
	int leaf;   /* users are placed in leaves */
};

static const struct dept_def depts[] = {
	{"总部", -1, 0},       {"财务部", 0, 0},     {"会计组", 1, 1},     {"出纳组", 1, 1},
	{"人事部", 0, 0},      {"招聘组", 4, 1},     {"薪酬福利组", 4, 1}, {"技术部", 0, 0},
	{"前端组", 7, 1},      {"后端组", 7, 1},     {"测试组", 7, 1},     {"运维组", 7, 1},
	{"市场部", 0, 0},      {"华南大区", 12, 1},  {"华东大区", 12, 1},  {"行政部", 0, 1},
};
#define NDEPTS ((int)(sizeof(depts) / sizeof(depts[0])))
#define DEPT_FINANCE 1

/* ---- the apps ----------------------------------------------------------------------------- */

struct node_def {
	const char *name;
	const char *rule;     /* fixed | choose */
	const char *assignee; /* login for fixed nodes */
	const char *view;
};

struct app_def {
	const char *name;
	const char *schema;
	int weight; /* share of sessions, percent */
	int nnodes;
	struct node_def nodes[SEED_MAX_NODES];
};

static const struct app_def apps[] = {
	{"费用报销",
	 "{\"fields\":["
	 "{\"key\":\"reason\",\"label\":\"事由\",\"type\":\"text\",\"max_length\":200},"
	 "{\"key\":\"amount\",\"label\":\"金额\",\"type\":\"number\",\"min\":0,\"max\":1000000,"
	 "\"decimals\":2},"
	 "{\"key\":\"pay_date\",\"label\":\"付款日期\",\"type\":\"date\"},"
	 "{\"key\":\"category\",\"label\":\"类别\",\"type\":\"select\","
	 "\"options\":[\"差旅\",\"办公\",\"招待\",\"培训\",\"通讯\"]},"
	 "{\"key\":\"province\",\"label\":\"省份\",\"type\":\"select\","
	 "\"options\":[\"广东\",\"浙江\",\"江苏\",\"四川\",\"北京\"]},"
	 "{\"key\":\"city\",\"label\":\"城市\",\"type\":\"select\",\"depends_on\":\"province\","
	 "\"options_by_parent\":{\"广东\":[\"广州\",\"深圳\",\"珠海\",\"佛山\"],"
	 "\"浙江\":[\"杭州\",\"宁波\",\"温州\"],\"江苏\":[\"南京\",\"苏州\",\"无锡\"],"
	 "\"四川\":[\"成都\",\"绵阳\"],\"北京\":[\"东城区\",\"海淀区\",\"朝阳区\"]}},"
	 "{\"key\":\"reviewer\",\"label\":\"复核人\",\"type\":\"user\"},"
	 "{\"key\":\"items\",\"label\":\"明细\",\"type\":\"table\",\"max_rows\":200,\"columns\":["
	 "{\"key\":\"name\",\"label\":\"名称\",\"type\":\"text\",\"max_length\":50},"
	 "{\"key\":\"qty\",\"label\":\"数量\",\"type\":\"number\",\"min\":1,\"max\":9999},"
	 "{\"key\":\"price\",\"label\":\"单价\",\"type\":\"number\",\"min\":0,\"max\":100000,"
	 "\"decimals\":2}]}"
	 "]}",
	 50, 4,
	 {{"部门经理审批", "fixed", "demo",
	   "{\"visible\":[\"reason\",\"amount\",\"pay_date\",\"category\",\"province\",\"city\","
	   "\"reviewer\",\"items\"],\"searchable\":[\"category\",\"province\",\"city\"],"
	   "\"writable\":[\"amount\"],\"required\":[\"amount\"]}"},
	  {"财务审核", "choose", NULL,
	   "{\"visible\":[\"reason\",\"amount\",\"pay_date\",\"category\",\"province\",\"city\","
	   "\"reviewer\",\"items\"],\"searchable\":[\"category\",\"province\"],"
	   "\"writable\":[\"category\",\"city\",\"pay_date\"],\"required\":[\"city\",\"pay_date\"]}"},
	  {"财务总监审批", "fixed", "admin",
	   "{\"visible\":[\"reason\",\"amount\",\"category\",\"province\",\"city\",\"reviewer\","
	   "\"items\"],\"searchable\":[\"category\"],\"writable\":[],\"required\":[]}"},
	  {"出纳付款", "fixed", "demo",
	   "{\"visible\":[\"reason\",\"amount\",\"category\",\"pay_date\",\"reviewer\"],"
	   "\"searchable\":[\"category\"],\"writable\":[\"pay_date\"],\"required\":[\"pay_date\"]}"}}},
	{"采购申请",
	 "{\"fields\":["
	 "{\"key\":\"subject\",\"label\":\"采购事由\",\"type\":\"text\",\"max_length\":100},"
	 "{\"key\":\"supplier\",\"label\":\"供应商\",\"type\":\"text\",\"max_length\":100},"
	 "{\"key\":\"budget\",\"label\":\"预算金额\",\"type\":\"number\",\"min\":0,\"max\":5000000,"
	 "\"decimals\":2},"
	 "{\"key\":\"delivery_date\",\"label\":\"期望到货日期\",\"type\":\"date\"},"
	 "{\"key\":\"purchase_type\",\"label\":\"采购类型\",\"type\":\"select\","
	 "\"options\":[\"设备\",\"软件\",\"耗材\",\"服务\"]},"
	 "{\"key\":\"urgency\",\"label\":\"紧急程度\",\"type\":\"select\","
	 "\"options\":[\"普通\",\"紧急\",\"特急\"]},"
	 "{\"key\":\"buyer\",\"label\":\"采购员\",\"type\":\"user\"},"
	 "{\"key\":\"goods\",\"label\":\"采购清单\",\"type\":\"table\",\"max_rows\":100,\"columns\":["
	 "{\"key\":\"item\",\"label\":\"物品\",\"type\":\"text\",\"max_length\":50},"
	 "{\"key\":\"spec\",\"label\":\"规格型号\",\"type\":\"text\",\"max_length\":50},"
	 "{\"key\":\"qty\",\"label\":\"数量\",\"type\":\"number\",\"min\":1,\"max\":100000},"
	 "{\"key\":\"unit_price\",\"label\":\"单价\",\"type\":\"number\",\"min\":0,\"max\":1000000,"
	 "\"decimals\":2}]}"
	 "]}",
	 20, 3,
	 {{"部门审批", "fixed", "demo",
	   "{\"visible\":[\"subject\",\"supplier\",\"budget\",\"delivery_date\",\"purchase_type\","
	   "\"urgency\",\"buyer\",\"goods\"],\"searchable\":[\"purchase_type\",\"urgency\"],"
	   "\"writable\":[\"urgency\"],\"required\":[\"urgency\"]}"},
	  {"采购审核", "choose", NULL,
	   "{\"visible\":[\"subject\",\"supplier\",\"budget\",\"delivery_date\",\"purchase_type\","
	   "\"urgency\",\"buyer\",\"goods\"],\"searchable\":[\"purchase_type\",\"urgency\"],"
	   "\"writable\":[\"supplier\",\"buyer\",\"delivery_date\"],"
	   "\"required\":[\"supplier\",\"buyer\"]}"},
	  {"总经理审批", "fixed", "admin",
	   "{\"visible\":[\"subject\",\"supplier\",\"budget\",\"purchase_type\",\"urgency\",\"goods\"],"
	   "\"searchable\":[\"purchase_type\"],\"writable\":[\"budget\"],\"required\":[\"budget\"]}"}}},
	{"请假申请",
	 "{\"fields\":["
	 "{\"key\":\"leave_type\",\"label\":\"请假类型\",\"type\":\"select\","
	 "\"options\":[\"年假\",\"事假\",\"病假\",\"调休\",\"婚假\",\"产假\",\"丧假\"]},"
	 "{\"key\":\"start_date\",\"label\":\"开始日期\",\"type\":\"date\"},"
	 "{\"key\":\"end_date\",\"label\":\"结束日期\",\"type\":\"date\"},"
	 "{\"key\":\"days\",\"label\":\"天数\",\"type\":\"number\",\"min\":0.5,\"max\":180,"
	 "\"decimals\":1},"
	 "{\"key\":\"reason\",\"label\":\"请假原因\",\"type\":\"text\",\"max_length\":500},"
	 "{\"key\":\"handover\",\"label\":\"工作交接人\",\"type\":\"user\"},"
	 "{\"key\":\"region\",\"label\":\"工作地区\",\"type\":\"select\","
	 "\"options\":[\"华南\",\"华东\",\"华北\"]},"
	 "{\"key\":\"office\",\"label\":\"办公地点\",\"type\":\"select\",\"depends_on\":\"region\","
	 "\"options_by_parent\":{\"华南\":[\"广州办公室\",\"深圳办公室\"],"
	 "\"华东\":[\"上海办公室\",\"杭州办公室\"],\"华北\":[\"北京办公室\",\"天津办公室\"]}}"
	 "]}",
	 30, 3,
	 {{"直属主管审批", "fixed", "demo",
	   "{\"visible\":[\"leave_type\",\"start_date\",\"end_date\",\"days\",\"reason\",\"handover\","
	   "\"region\",\"office\"],\"searchable\":[\"leave_type\",\"region\"],"
	   "\"writable\":[\"days\"],\"required\":[\"days\"]}"},
	  {"人事审核", "choose", NULL,
	   "{\"visible\":[\"leave_type\",\"start_date\",\"end_date\",\"days\",\"reason\",\"handover\","
	   "\"region\",\"office\"],\"searchable\":[\"leave_type\",\"region\",\"office\"],"
	   "\"writable\":[\"leave_type\",\"office\"],\"required\":[\"office\"]}"},
	  {"人事备案", "fixed", "demo",
	   "{\"visible\":[\"leave_type\",\"start_date\",\"end_date\",\"days\",\"handover\"],"
	   "\"searchable\":[\"leave_type\"],\"writable\":[],\"required\":[]}"}}},
};
#define NAPPS ((int)(sizeof(apps) / sizeof(apps[0])))

int
seed_app_count(void)
{
	return NAPPS;
}

const char *
seed_app_name(int app)
{
	return app >= 0 && app < NAPPS ? apps[app].name : NULL;
}

const char *
seed_app_schema(int app)
{
	return app >= 0 && app < NAPPS ? apps[app].schema : NULL;
}

int
seed_app_nodes(int app)
{
	return app >= 0 && app < NAPPS ? apps[app].nnodes : 0;
}

const char *
seed_node_view(int app, int seq)
{
	if (app < 0 || app >= NAPPS || seq < 1 || seq > apps[app].nnodes)
		return NULL;
	return apps[app].nodes[seq - 1].view;
}

/* ---- form data ---------------------------------------------------------------------------- */

/* What a form generator needs: a stream, people to name, the day dates are relative to. */
struct form_gen {
	struct rng r;
	const char *const *logins; /* borrowed */
	int nlogins;
	time_t day0; /* midnight UTC of the run */
	char summary[256];
};

static void
put_date(struct buf *b, time_t day0, int days)
{
	time_t t = day0 + (time_t)days * 86400;
	struct tm tm;
	char s[16];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d", &tm);
	buf_printf(b, "\"%s\"", s);
}

/* A JSON string of s (our own texts and user names: escape what JSON requires). */
static void
put_str(struct buf *b, const char *s)
{
	const char *p;

	buf_add(b, "\"", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			buf_printf(b, "\\u%04x", (unsigned char)*p);
		else
			buf_add(b, p, 1);
	}
	buf_add(b, "\"", 1);
}

static const char *
pick_login(struct form_gen *g)
{
	return g->logins[rng_below(&g->r, (unsigned)g->nlogins)];
}

static const char *const expense_purposes[] = {"客户拜访", "项目实施", "技术交流",
                                               "年度会议", "市场调研", "供应商考察"};
static const char *const expense_items[] = {"机票",   "高铁票", "住宿费",   "餐费",
                                            "出租车费", "会议费", "办公用品", "打印耗材"};
static const char *const categories[] = {"差旅", "办公", "招待", "培训", "通讯"};
static const char *const provinces[] = {"广东", "浙江", "江苏", "四川", "北京"};
static const char *const cities[][4] = {{"广州", "深圳", "珠海", "佛山"},
                                        {"杭州", "宁波", "温州", NULL},
                                        {"南京", "苏州", "无锡", NULL},
                                        {"成都", "绵阳", NULL, NULL},
                                        {"东城区", "海淀区", "朝阳区", NULL}};
static const int ncities[] = {4, 3, 3, 2, 3};

static void
gen_expense(struct form_gen *g, struct buf *b)
{
	unsigned p = rng_below(&g->r, 5), nitems = 1 + rng_below(&g->r, 4), k;
	const char *city = cities[p][rng_below(&g->r, (unsigned)ncities[p])];
	const char *cat = PICK(&g->r, categories);
	long cents = 0;
	struct buf items = {0};

	for (k = 0; k < nitems; k++) {
		unsigned qty = 1 + rng_below(&g->r, 5);
		long price = 2000 + (long)rng_below(&g->r, 300000); /* cents */

		cents += price * (long)qty;
		buf_puts(&items, k ? ",{\"name\":" : "{\"name\":");
		put_str(&items, PICK(&g->r, expense_items));
		buf_printf(&items, ",\"qty\":%u,\"price\":%ld.%02ld}", qty, price / 100, price % 100);
	}
	buf_puts(b, "{\"reason\":");
	{
		char reason[128];

		snprintf(reason, sizeof(reason), "%s出差：%s", city, PICK(&g->r, expense_purposes));
		put_str(b, reason);
	}
	buf_printf(b, ",\"amount\":%ld.%02ld,\"pay_date\":", cents / 100, cents % 100);
	put_date(b, g->day0, 3 + (int)rng_below(&g->r, 30));
	buf_puts(b, ",\"category\":");
	put_str(b, cat);
	buf_puts(b, ",\"province\":");
	put_str(b, provinces[p]);
	buf_puts(b, ",\"city\":");
	put_str(b, city);
	buf_puts(b, ",\"reviewer\":");
	put_str(b, pick_login(g));
	buf_puts(b, ",\"items\":[");
	buf_add(b, items.data, items.len);
	buf_puts(b, "]}");
	free(items.data);
	snprintf(g->summary, sizeof(g->summary), "%s %ld.%02ld元", cat, cents / 100, cents % 100);
}

static const char *const purchase_subjects[] = {"研发部门办公电脑更新", "服务器扩容",
                                                "年度软件授权续费",     "会议室设备采购",
                                                "办公耗材补充",         "安全审计服务"};
static const char *const suppliers[] = {"联想集团",       "华为技术有限公司", "京东企业购",
                                        "得力集团",       "戴尔中国",         "阿里云计算有限公司",
                                        "深圳市科技有限公司"};
static const char *const purchase_types[] = {"设备", "软件", "耗材", "服务"};
static const char *const urgencies[] = {"普通", "普通", "普通", "紧急", "特急"};
static const char *const goods[][3] = {{"笔记本电脑", "ThinkPad T14", "显示器"},
                                       {"操作系统授权", "数据库许可", "办公软件"},
                                       {"A4打印纸", "硒鼓", "签字笔"},
                                       {"渗透测试", "运维外包", "咨询服务"}};
static const char *const specs[] = {"标准版", "专业版", "企业版", "14英寸", "27英寸", "500张/包"};

static void
gen_purchase(struct form_gen *g, struct buf *b)
{
	unsigned t = rng_below(&g->r, 4), n = 1 + rng_below(&g->r, 3), k;
	const char *subject = PICK(&g->r, purchase_subjects);
	long cents = 0;
	struct buf rows = {0};

	for (k = 0; k < n; k++) {
		unsigned qty = 1 + rng_below(&g->r, 20);
		long price = 1000 + (long)rng_below(&g->r, 1000000);

		cents += price * (long)qty;
		buf_puts(&rows, k ? ",{\"item\":" : "{\"item\":");
		put_str(&rows, goods[t][rng_below(&g->r, 3)]);
		buf_puts(&rows, ",\"spec\":");
		put_str(&rows, PICK(&g->r, specs));
		buf_printf(&rows, ",\"qty\":%u,\"unit_price\":%ld.%02ld}", qty, price / 100,
		           price % 100);
	}
	buf_puts(b, "{\"subject\":");
	put_str(b, subject);
	buf_puts(b, ",\"supplier\":");
	put_str(b, PICK(&g->r, suppliers));
	buf_printf(b, ",\"budget\":%ld.%02ld,\"delivery_date\":", cents / 100, cents % 100);
	put_date(b, g->day0, 7 + (int)rng_below(&g->r, 60));
	buf_puts(b, ",\"purchase_type\":");
	put_str(b, purchase_types[t]);
	buf_puts(b, ",\"urgency\":");
	put_str(b, PICK(&g->r, urgencies));
	buf_puts(b, ",\"buyer\":");
	put_str(b, pick_login(g));
	buf_puts(b, ",\"goods\":[");
	buf_add(b, rows.data, rows.len);
	buf_puts(b, "]}");
	free(rows.data);
	snprintf(g->summary, sizeof(g->summary), "%s", subject);
}

static const char *const leave_types[] = {"年假", "事假", "病假", "调休", "婚假", "产假", "丧假"};
static const char *const leave_reasons[] = {"家中有事", "身体不适，需就医", "回老家探亲",
                                            "孩子开家长会", "搬家", "参加亲友婚礼", "年假休息"};
static const char *const regions[] = {"华南", "华东", "华北"};
static const char *const offices[][2] = {
	{"广州办公室", "深圳办公室"}, {"上海办公室", "杭州办公室"}, {"北京办公室", "天津办公室"}};

static void
gen_leave(struct form_gen *g, struct buf *b)
{
	const char *type = PICK(&g->r, leave_types);
	unsigned region = rng_below(&g->r, 3);
	int start = 1 + (int)rng_below(&g->r, 40);
	unsigned halves = 1 + rng_below(&g->r, 20); /* 0.5 … 10 days */
	int span = (int)((halves + 1) / 2);

	buf_puts(b, "{\"leave_type\":");
	put_str(b, type);
	buf_puts(b, ",\"start_date\":");
	put_date(b, g->day0, start);
	buf_puts(b, ",\"end_date\":");
	put_date(b, g->day0, start + (span > 0 ? span - 1 : 0));
	buf_printf(b, ",\"days\":%u.%u,\"reason\":", halves / 2, halves % 2 ? 5 : 0);
	put_str(b, PICK(&g->r, leave_reasons));
	buf_puts(b, ",\"handover\":");
	put_str(b, pick_login(g));
	buf_puts(b, ",\"region\":");
	put_str(b, regions[region]);
	buf_puts(b, ",\"office\":");
	put_str(b, offices[region][rng_below(&g->r, 2)]);
	buf_puts(b, "}");
	snprintf(g->summary, sizeof(g->summary), "%s%u.%u天", type, halves / 2, halves % 2 ? 5 : 0);
}

static void (*const generators[])(struct form_gen *, struct buf *) = {gen_expense, gen_purchase,
                                                                         gen_leave};

static time_t
today_utc(void)
{
	time_t now = time(NULL);

	return now - now % 86400;
}

char *
seed_form_sample(int app, unsigned seed, long i, const char *const *logins, int nlogins)
{
	struct form_gen g = {.logins = logins, .nlogins = nlogins, .day0 = today_utc()};
	struct buf b = {0};

	if (app < 0 || app >= NAPPS || nlogins < 1)
		return NULL;
	rng_init(&g.r, seed, 3, (uint64_t)i);
	generators[app](&g, &b);
	return b.data;
}

/* ---- the run ------------------------------------------------------------------------------ */

struct user_ref {
	long long id;
	char *login; /* owned */
	char *name;  /* owned */
};

struct seed_ctx {
	const struct seed_opts *o;
	long long dept_ids[NDEPTS];
	long long admin_id;
	/* pool[0] is demo, then u00001 … in order */
	struct user_ref *pool;
	int npool;
	const char **pool_logins; /* borrowed from pool, for the form generators */
	long long version_ids[NAPPS];
	long long node_ids[NAPPS][SEED_MAX_NODES];
	long long fixed_ids[NAPPS][SEED_MAX_NODES]; /* assignee of fixed nodes, 0 for choose */
	long long base_session, base_task, base_history; /* ids start after these */
	long long ndone;                                 /* done tasks (= history rows) */
	time_t day0;
	struct buf copy; /* COPY data not yet sent */
};

static void
ctx_reset(struct seed_ctx *c)
{
	int i;

	for (i = 0; i < c->npool; i++) {
		free(c->pool[i].login);
		free(c->pool[i].name);
	}
	free(c->pool);
	free(c->pool_logins);
	free(c->copy.data);
	c->pool = NULL;
	c->pool_logins = NULL;
	c->npool = 0;
	memset(&c->copy, 0, sizeof(c->copy));
	c->ndone = 0;
}

/* Run a statement expected to return one bigint (e.g. RETURNING id). */
static int
query_id(struct db *db, const char *sql, int n, const char *const *params, long long *out,
         struct fb_err *err)
{
	PGresult *res = db_query(db, NULL, sql, n, params, err);

	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		fb_err_set(err, FB_EINTERNAL, "seed: expected one id from: %.80s", sql);
		return -1;
	}
	*out = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

static int
seed_depts(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	int i;

	for (i = 0; i < NDEPTS; i++) {
		char parent[32];
		const char *params[2] = {depts[i].name, NULL};

		if (depts[i].parent >= 0) {
			snprintf(parent, sizeof(parent), "%lld", c->dept_ids[depts[i].parent]);
			params[1] = parent;
		}
		if (query_id(db,
		             "INSERT INTO departments (name, parent_id) VALUES ($1, $2::bigint)"
		             " ON CONFLICT ON CONSTRAINT departments_parent_name_key"
		             " DO UPDATE SET name = EXCLUDED.name RETURNING id",
		             2, params, &c->dept_ids[i], err) < 0)
			return -1;
	}
	return 0;
}

/* Append one element to a PostgreSQL array literal being built in b. */
static void
arr_add(struct buf *b, const char *s)
{
	const char *p;

	buf_add(b, b->len ? ",\"" : "{\"", 2);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_add(b, "\\", 1);
		buf_add(b, p, 1);
	}
	buf_add(b, "\"", 1);
}

static int
insert_users(struct db *db, struct buf *logins, struct buf *names, struct buf *deptv,
             struct fb_err *err)
{
	const char *params[3];
	int rc;

	buf_puts(logins, "}");
	buf_puts(names, "}");
	buf_puts(deptv, "}");
	params[0] = logins->data;
	params[1] = names->data;
	params[2] = deptv->data;
	rc = db_exec(db, NULL,
	             "INSERT INTO users (login, name, dept_id)"
	             " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])"
	             " ON CONFLICT (login) DO NOTHING",
	             3, params, err);
	buf_reset(logins);
	buf_reset(names);
	buf_reset(deptv);
	return rc;
}

static int
seed_users(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	struct buf logins = {0}, names = {0}, deptv = {0}, all = {0};
	int leaves[NDEPTS], nleaves = 0, i, rc = -1;
	char root[32], fin[32];
	const char *params[2];
	PGresult *res = NULL;

	for (i = 0; i < NDEPTS; i++)
		if (depts[i].leaf)
			leaves[nleaves++] = i;
	snprintf(root, sizeof(root), "%lld", c->dept_ids[0]);
	snprintf(fin, sizeof(fin), "%lld", c->dept_ids[DEPT_FINANCE]);
	params[0] = root;
	if (query_id(db,
	             "INSERT INTO users (login, name, dept_id, is_admin)"
	             " VALUES ('admin', '系统管理员', $1::bigint, true)"
	             " ON CONFLICT (login) DO UPDATE SET is_admin = true RETURNING id",
	             1, params, &c->admin_id, err) < 0)
		goto out;
	params[0] = fin;
	if (db_exec(db, NULL,
	            "INSERT INTO users (login, name, dept_id) VALUES ('demo', '演示用户', $1::bigint)"
	            " ON CONFLICT (login) DO NOTHING",
	            1, params, err) < 0)
		goto out;
	arr_add(&all, "demo");
	for (i = 1; i <= c->o->users; i++) {
		char login[16], name[32], dept[32];
		struct rng r;

		seed_login(i, login, sizeof(login));
		seed_person_name(c->o->seed, i, name, sizeof(name));
		rng_init(&r, c->o->seed, 2, (uint64_t)i);
		snprintf(dept, sizeof(dept), "%lld", c->dept_ids[leaves[rng_below(&r, (unsigned)nleaves)]]);
		arr_add(&logins, login);
		arr_add(&names, name);
		arr_add(&deptv, dept);
		arr_add(&all, login);
		if (i % SEED_USER_BATCH == 0 && insert_users(db, &logins, &names, &deptv, err) < 0)
			goto out;
	}
	if (logins.len > 0 && insert_users(db, &logins, &names, &deptv, err) < 0)
		goto out;
	buf_puts(&all, "}");
	params[0] = all.data;
	res = db_query(db, NULL,
	               "SELECT id, login, name FROM users WHERE login = ANY($1::text[])"
	               " ORDER BY login <> 'demo', length(login), login",
	               1, params, err);
	if (res == NULL)
		goto out;
	c->npool = PQntuples(res);
	if (c->npool != c->o->users + 1) {
		fb_err_set(err, FB_EINTERNAL, "seed: expected %d users, found %d", c->o->users + 1,
		           c->npool);
		c->npool = 0;
		goto out;
	}
	c->pool = xcalloc((size_t)c->npool, sizeof(*c->pool));
	c->pool_logins = xcalloc((size_t)c->npool, sizeof(*c->pool_logins));
	for (i = 0; i < c->npool; i++) {
		c->pool[i].id = db_ll(res, i, 0);
		c->pool[i].login = xstrdup(PQgetvalue(res, i, 1));
		c->pool[i].name = xstrdup(PQgetvalue(res, i, 2));
		c->pool_logins[i] = c->pool[i].login;
	}
	rc = 0;
out:
	PQclear(res);
	free(logins.data);
	free(names.data);
	free(deptv.data);
	free(all.data);
	return rc;
}

static long long
login_id(const struct seed_ctx *c, const char *login)
{
	int i;

	if (strcmp(login, "admin") == 0)
		return c->admin_id;
	for (i = 0; i < c->npool; i++)
		if (strcmp(c->pool[i].login, login) == 0)
			return c->pool[i].id;
	return 0;
}

static int
seed_apps(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	int a, s;

	for (a = 0; a < NAPPS; a++) {
		long long app_id;
		char idbuf[32], vbuf[32], monitor[32];
		const char *p[2];

		p[0] = apps[a].name;
		if (query_id(db,
		             "INSERT INTO apps (name) VALUES ($1) ON CONFLICT (name)"
		             " DO UPDATE SET name = EXCLUDED.name RETURNING id",
		             1, p, &app_id, err) < 0)
			return -1;
		snprintf(idbuf, sizeof(idbuf), "%lld", app_id);
		p[0] = idbuf;
		p[1] = apps[a].schema;
		if (query_id(db,
		             "INSERT INTO app_versions (app_id, version, form_schema)"
		             " VALUES ($1::bigint, 1, $2::jsonb) ON CONFLICT (app_id, version)"
		             " DO UPDATE SET app_id = EXCLUDED.app_id RETURNING id",
		             2, p, &c->version_ids[a], err) < 0)
			return -1;
		snprintf(monitor, sizeof(monitor), "%lld", c->admin_id);
		p[1] = monitor;
		if (db_exec(db, NULL,
		            "INSERT INTO app_monitors (app_id, user_id) VALUES ($1::bigint, $2::bigint)"
		            " ON CONFLICT DO NOTHING",
		            2, p, err) < 0)
			return -1;
		snprintf(vbuf, sizeof(vbuf), "%lld", c->version_ids[a]);
		for (s = 0; s < apps[a].nnodes; s++) {
			const struct node_def *n = &apps[a].nodes[s];
			char seq[16], who[32];
			const char *np[6] = {vbuf, n->name, seq, n->rule, NULL, n->view};

			snprintf(seq, sizeof(seq), "%d", s + 1);
			c->fixed_ids[a][s] = n->assignee ? login_id(c, n->assignee) : 0;
			if (c->fixed_ids[a][s] != 0) {
				snprintf(who, sizeof(who), "%lld", c->fixed_ids[a][s]);
				np[4] = who;
			}
			if (query_id(db,
			             "INSERT INTO nodes (app_version_id, name, seq, assignee_rule,"
			             " assignee_id, view) VALUES ($1::bigint, $2, $3::int, $4, $5::bigint,"
			             " $6::jsonb) ON CONFLICT (app_version_id, seq)"
			             " DO UPDATE SET seq = EXCLUDED.seq RETURNING id",
			             6, np, &c->node_ids[a][s], err) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- sessions, tasks, history with COPY ----------------------------------------------------- */

/* Everything about session k that more than one COPY pass needs. */
struct plan {
	int app;
	int seq;      /* current node, from 1 */
	int creator;  /* pool index */
	int assignee; /* pool index of the pending task's assignee */
	int actors[SEED_MAX_NODES - 1];
	int suspended, locked;
	time_t at[SEED_MAX_NODES]; /* at[0] created; at[j] node j+1 reached */
};

static int
pick_person(struct rng *r, int npool)
{
	/* demo (index 0) gets about a fifth of everything. */
	if (npool == 1 || rng_below(r, 5) == 0)
		return 0;
	return 1 + (int)rng_below(r, (unsigned)(npool - 1));
}

static void
make_plan(const struct seed_ctx *c, long long k, struct plan *p)
{
	struct rng r;
	unsigned w = 0, x;
	int j;

	rng_init(&r, c->o->seed, 4, (uint64_t)k);
	x = rng_below(&r, 100);
	for (p->app = 0; p->app < NAPPS - 1; p->app++) {
		w += (unsigned)apps[p->app].weight;
		if (x < w)
			break;
	}
	p->seq = 1 + (int)rng_below(&r, (unsigned)apps[p->app].nnodes);
	p->creator = c->npool > 1 ? 1 + (int)rng_below(&r, (unsigned)(c->npool - 1)) : 0;
	p->assignee = pick_person(&r, c->npool);
	for (j = 0; j < SEED_MAX_NODES - 1; j++)
		p->actors[j] = pick_person(&r, c->npool);
	p->suspended = rng_below(&r, 100) < 2;
	p->locked = rng_below(&r, 100) < 1;
	p->at[0] = c->day0 - 86400 * (time_t)(4 + rng_below(&r, 45)) + (time_t)rng_below(&r, 86400);
	for (j = 1; j < SEED_MAX_NODES; j++)
		p->at[j] = p->at[j - 1] + 600 + (time_t)rng_below(&r, 20 * 3600);
}

static void
put_ts(struct buf *b, time_t t)
{
	struct tm tm;
	char s[40];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S+00", &tm);
	buf_puts(b, s);
}

/* A text-format COPY field. */
static void
put_field(struct buf *b, const char *s)
{
	const char *p = s, *q;

	while ((q = strpbrk(p, "\\\t\n\r")) != NULL) {
		buf_add(b, p, (size_t)(q - p));
		switch (*q) {
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		default:
			buf_add(b, "\\r", 2);
			break;
		}
		p = q + 1;
	}
	buf_puts(b, p);
}

static int
copy_flush(struct db *db, struct seed_ctx *c, int force, struct fb_err *err)
{
	if (c->copy.len == 0 || (!force && c->copy.len < SEED_COPY_CHUNK))
		return 0;
	if (PQputCopyData(db_pg(db), c->copy.data, (int)c->copy.len) != 1) {
		fb_err_set(err, FB_EDB, "seed: COPY failed: %s", PQerrorMessage(db_pg(db)));
		return -1;
	}
	buf_reset(&c->copy);
	return 0;
}

/* End a COPY: send the rest, then read the command's result. */
static int
copy_end(struct db *db, struct seed_ctx *c, int ok, struct fb_err *err)
{
	PGconn *pg = db_pg(db);
	PGresult *res;
	int rc = ok ? 0 : -1;

	if (ok && copy_flush(db, c, 1, err) < 0)
		rc = -1;
	if (PQputCopyEnd(pg, rc == 0 ? NULL : "seed aborted") != 1 && rc == 0) {
		fb_err_set(err, FB_EDB, "seed: COPY end failed: %s", PQerrorMessage(pg));
		rc = -1;
	}
	while ((res = PQgetResult(pg)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			fb_err_set(err, FB_EDB, "seed: COPY: %s", PQresultErrorMessage(res));
			if (err != NULL)
				snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", st ? st : "");
			rc = -1;
		}
		PQclear(res);
	}
	buf_reset(&c->copy);
	return rc;
}

static int
copy_begin(struct db *db, const char *sql, struct fb_err *err)
{
	PGresult *res = db_query(db, NULL, sql, 0, NULL, err);

	if (res == NULL)
		return -1;
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		PQclear(res);
		fb_err_set(err, FB_EINTERNAL, "seed: COPY did not start");
		return -1;
	}
	PQclear(res);
	return 0;
}

static const char *const comments[] = {"同意", "同意。", "情况属实，同意", "已核对无误",
                                       "同意，请继续办理"};

static int
copy_sessions(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	long long k;
	int ok = 1;

	if (copy_begin(db,
	               "COPY app_sessions (id, app_version_id, title, state, current_node_id,"
	               " form_data, creator, created, modified) FROM STDIN",
	               err) < 0)
		return -1;
	for (k = 0; k < c->o->tasks && ok; k++) {
		long long gk = c->base_session + k + 1;
		struct form_gen g = {.logins = c->pool_logins, .nlogins = c->npool, .day0 = c->day0};
		struct plan p;
		struct buf form = {0};
		char title[512];

		make_plan(c, gk, &p);
		rng_init(&g.r, c->o->seed, 3, (uint64_t)gk);
		generators[p.app](&g, &form);
		snprintf(title, sizeof(title), "%s的%s：%s", c->pool[p.creator].name, apps[p.app].name,
		         g.summary);
		buf_printf(&c->copy, "%lld\t%lld\t", gk, c->version_ids[p.app]);
		put_field(&c->copy, title);
		buf_printf(&c->copy, "\t%s\t%lld\t", p.suspended ? "suspended" : "running",
		           c->node_ids[p.app][p.seq - 1]);
		put_field(&c->copy, form.data);
		buf_printf(&c->copy, "\t%lld\t", c->pool[p.creator].id);
		put_ts(&c->copy, p.at[0]);
		buf_add(&c->copy, "\t", 1);
		put_ts(&c->copy, p.at[p.seq - 1]);
		buf_add(&c->copy, "\n", 1);
		free(form.data);
		if (copy_flush(db, c, 0, err) < 0)
			ok = 0;
	}
	return copy_end(db, c, ok, err);
}

static int
copy_tasks(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	long long k, done = 0, ntasks = c->o->tasks;
	int ok = 1;

	if (copy_begin(db,
	               "COPY tasks (id, session_id, node_id, assignee, state, lock_kind, lock_owner,"
	               " locked_at, created, finished) FROM STDIN",
	               err) < 0)
		return -1;
	for (k = 0; k < ntasks && ok; k++) {
		long long gk = c->base_session + k + 1;
		struct plan p;
		int j;

		make_plan(c, gk, &p);
		/* The nodes already passed: done tasks, ids after all pending ones. */
		for (j = 0; j < p.seq - 1; j++) {
			buf_printf(&c->copy, "%lld\t%lld\t%lld\t%lld\tdone\t\\N\t\\N\t\\N\t",
			           c->base_task + ntasks + ++done, gk, c->node_ids[p.app][j],
			           c->pool[p.actors[j]].id);
			put_ts(&c->copy, p.at[j]);
			buf_add(&c->copy, "\t", 1);
			put_ts(&c->copy, p.at[j + 1]);
			buf_add(&c->copy, "\n", 1);
		}
		buf_printf(&c->copy, "%lld\t%lld\t%lld\t%lld\tpending\t", c->base_task + k + 1, gk,
		           c->node_ids[p.app][p.seq - 1], c->pool[p.assignee].id);
		if (p.locked) {
			buf_puts(&c->copy, "person\t");
			put_field(&c->copy, c->pool[p.assignee].login);
			buf_add(&c->copy, "\t", 1);
			put_ts(&c->copy, p.at[p.seq - 1] + 1800);
		} else {
			buf_puts(&c->copy, "\\N\t\\N\t\\N");
		}
		buf_add(&c->copy, "\t", 1);
		put_ts(&c->copy, p.at[p.seq - 1]);
		buf_puts(&c->copy, "\t\\N\n");
		if (copy_flush(db, c, 0, err) < 0)
			ok = 0;
	}
	c->ndone = done;
	return copy_end(db, c, ok, err);
}

static int
copy_history(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	long long k, done = 0, ntasks = c->o->tasks;
	int ok = 1;

	if (copy_begin(db,
	               "COPY task_history (id, task_id, session_id, node_id, actor, action, comment,"
	               " created) FROM STDIN",
	               err) < 0)
		return -1;
	for (k = 0; k < ntasks && ok; k++) {
		long long gk = c->base_session + k + 1;
		struct plan p;
		struct rng r;
		int j;

		make_plan(c, gk, &p);
		rng_init(&r, c->o->seed, 5, (uint64_t)gk);
		for (j = 0; j < p.seq - 1; j++) {
			done++;
			buf_printf(&c->copy, "%lld\t%lld\t%lld\t%lld\t%lld\tapprove\t",
			           c->base_history + done, c->base_task + ntasks + done, gk,
			           c->node_ids[p.app][j], c->pool[p.actors[j]].id);
			put_field(&c->copy, PICK(&r, comments));
			buf_add(&c->copy, "\t", 1);
			put_ts(&c->copy, p.at[j + 1]);
			buf_add(&c->copy, "\n", 1);
		}
		if (copy_flush(db, c, 0, err) < 0)
			ok = 0;
	}
	return copy_end(db, c, ok, err);
}

/*
 * The first free ids of the three bulk tables: after each table's largest id and after its
 * sequence's last value (the tables are locked, so nothing moves meanwhile).
 */
static int
id_bases(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	PGresult *res = db_query(
		db, NULL,
		"SELECT greatest((SELECT coalesce(max(id), 0) FROM app_sessions), coalesce("
		"  pg_sequence_last_value(pg_get_serial_sequence('app_sessions', 'id')::regclass), 0)),"
		" greatest((SELECT coalesce(max(id), 0) FROM tasks), coalesce("
		"  pg_sequence_last_value(pg_get_serial_sequence('tasks', 'id')::regclass), 0)),"
		" greatest((SELECT coalesce(max(id), 0) FROM task_history), coalesce("
		"  pg_sequence_last_value(pg_get_serial_sequence('task_history', 'id')::regclass), 0))",
		0, NULL, err);

	if (res == NULL)
		return -1;
	c->base_session = db_ll(res, 0, 0);
	c->base_task = db_ll(res, 0, 1);
	c->base_history = db_ll(res, 0, 2);
	PQclear(res);
	return 0;
}

static int
set_seq(struct db *db, const char *table, long long last, struct fb_err *err)
{
	char v[32];
	const char *p[2] = {table, v};

	snprintf(v, sizeof(v), "%lld", last);
	return db_exec(db, NULL, "SELECT setval(pg_get_serial_sequence($1, 'id'), $2::bigint)", 2,
	               p, err);
}

static int
seed_bulk(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	long long n = c->o->tasks;

	if (n == 0)
		return 0;
	if (db_exec(db, NULL, "LOCK TABLE app_sessions, tasks, task_history IN EXCLUSIVE MODE", 0,
	            NULL, err) < 0 ||
	    id_bases(db, c, err) < 0)
		return -1;
	if (copy_sessions(db, c, err) < 0 || copy_tasks(db, c, err) < 0 ||
	    copy_history(db, c, err) < 0)
		return -1;
	if (set_seq(db, "app_sessions", c->base_session + n, err) < 0 ||
	    set_seq(db, "tasks", c->base_task + n + c->ndone, err) < 0 ||
	    (c->ndone > 0 && set_seq(db, "task_history", c->base_history + c->ndone, err) < 0))
		return -1;
	/* Fresh statistics, so that the listing's plans are right before autovacuum runs. */
	return db_exec(db, NULL, "ANALYZE app_sessions, tasks, task_history", 0, NULL, err);
}

static int
seed_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct seed_ctx *c = arg;

	ctx_reset(c);
	if (seed_depts(db, c, err) < 0 || seed_users(db, c, err) < 0 || seed_apps(db, c, err) < 0)
		return -1;
	return seed_bulk(db, c, err);
}

int
seed_run(struct db *db, const struct seed_opts *o, struct fb_err *err)
{
	struct seed_ctx c;
	struct timespec t0, t1;
	int rc;

	if (o->users < 1 || o->tasks < 0) {
		fb_err_set(err, FB_EINVAL, "seed: users must be at least 1 and tasks not negative");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.day0 = today_utc();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = db_tx(db, seed_tx, &c, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0)
		log_info("seed done", "users", LOG_INT(o->users), "sessions", LOG_INT(o->tasks),
		         "done_tasks", LOG_INT(c.ndone), "first_session_id",
		         LOG_INT(c.base_session + 1), "ms",
		         LOG_INT((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		         NULL);
	ctx_reset(&c);
	return rc;
}
