/* SPDX-License-Identifier: MIT */
/*
 * seed_data: what the demo data is — the department tree, three apps (费用报销, 采购申请,
 * 请假申请) whose form schemas together use every field type, their nodes and views, people's
 * names, each session's form data and its plan (app, current node, people, times).
 *
 * Every choice comes from splitmix64 streams keyed by (seed, purpose, index): a session's
 * plan, its form and its comments each have their own stream, so any of them can be made
 * again for one index without the others, in any order.  The purposes (1 names, 2 a user's
 * department, 3 forms, 4 plans, 5 comments) are part of what a seed means: changing one
 * changes the data of every seed.
 *
 * Memory: the tables are static and read-only; generated text is appended to the caller's
 * buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed_int.h"

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

const struct seed_dept seed_depts[] = {
	{"总部", -1, 0},       {"财务部", 0, 0},     {"会计组", 1, 1},     {"出纳组", 1, 1},
	{"人事部", 0, 0},      {"招聘组", 4, 1},     {"薪酬福利组", 4, 1}, {"技术部", 0, 0},
	{"前端组", 7, 1},      {"后端组", 7, 1},     {"测试组", 7, 1},     {"运维组", 7, 1},
	{"市场部", 0, 0},      {"华南大区", 12, 1},  {"华东大区", 12, 1},  {"行政部", 0, 1},
};
_Static_assert(sizeof(seed_depts) / sizeof(seed_depts[0]) == SEED_NDEPTS, "SEED_NDEPTS");

int
seed_user_dept(unsigned seed, long i)
{
	int leaves[SEED_NDEPTS], nleaves = 0, d;
	struct rng r;

	for (d = 0; d < SEED_NDEPTS; d++)
		if (seed_depts[d].leaf)
			leaves[nleaves++] = d;
	rng_init(&r, seed, 2, (uint64_t)i);
	return leaves[rng_below(&r, (unsigned)nleaves)];
}

/* ---- the apps ----------------------------------------------------------------------------- */

const struct seed_app seed_apps[] = {
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
_Static_assert(sizeof(seed_apps) / sizeof(seed_apps[0]) == SEED_NAPPS, "SEED_NAPPS");

int
seed_app_count(void)
{
	return SEED_NAPPS;
}

const char *
seed_app_name(int app)
{
	return app >= 0 && app < SEED_NAPPS ? seed_apps[app].name : NULL;
}

const char *
seed_app_schema(int app)
{
	return app >= 0 && app < SEED_NAPPS ? seed_apps[app].schema : NULL;
}

int
seed_app_nodes(int app)
{
	return app >= 0 && app < SEED_NAPPS ? seed_apps[app].nnodes : 0;
}

const char *
seed_node_view(int app, int seq)
{
	if (app < 0 || app >= SEED_NAPPS || seq < 1 || seq > seed_apps[app].nnodes)
		return NULL;
	return seed_apps[app].nodes[seq - 1].view;
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

/* ,"key":"s" */
static void
put_member(struct buf *b, const char *key, const char *s)
{
	buf_printf(b, ",\"%s\":", key);
	put_str(b, s);
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
	put_member(b, "category", cat);
	put_member(b, "province", provinces[p]);
	put_member(b, "city", city);
	put_member(b, "reviewer", pick_login(g));
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
	put_member(b, "supplier", PICK(&g->r, suppliers));
	buf_printf(b, ",\"budget\":%ld.%02ld,\"delivery_date\":", cents / 100, cents % 100);
	put_date(b, g->day0, 7 + (int)rng_below(&g->r, 60));
	put_member(b, "purchase_type", purchase_types[t]);
	put_member(b, "urgency", PICK(&g->r, urgencies));
	put_member(b, "buyer", pick_login(g));
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
	put_member(b, "handover", pick_login(g));
	put_member(b, "region", regions[region]);
	put_member(b, "office", offices[region][rng_below(&g->r, 2)]);
	buf_puts(b, "}");
	snprintf(g->summary, sizeof(g->summary), "%s%u.%u天", type, halves / 2, halves % 2 ? 5 : 0);
}

static void (*const generators[])(struct form_gen *, struct buf *) = {gen_expense, gen_purchase,
                                                                         gen_leave};

time_t
seed_today(void)
{
	time_t now = time(NULL);

	return now - now % 86400;
}

void
seed_form(int app, unsigned seed, long long k, const char *const *logins, int nlogins,
          time_t day0, struct buf *b, char *summary, size_t n)
{
	struct form_gen g = {.logins = logins, .nlogins = nlogins, .day0 = day0};

	rng_init(&g.r, seed, 3, (uint64_t)k);
	generators[app](&g, b);
	snprintf(summary, n, "%s", g.summary);
}

char *
seed_form_sample(int app, unsigned seed, long i, const char *const *logins, int nlogins)
{
	struct buf b = {0};
	char summary[256];

	if (app < 0 || app >= SEED_NAPPS || nlogins < 1)
		return NULL;
	seed_form(app, seed, i, logins, nlogins, seed_today(), &b, summary, sizeof(summary));
	return b.data;
}

/* ---- session plans ------------------------------------------------------------------------ */

static int
pick_person(struct rng *r, int npool)
{
	/* demo (index 0) gets about a fifth of everything. */
	if (npool == 1 || rng_below(r, 5) == 0)
		return 0;
	return 1 + (int)rng_below(r, (unsigned)(npool - 1));
}

void
seed_plan(unsigned seed, long long k, int npool, time_t day0, struct seed_plan *p)
{
	struct rng r;
	unsigned w = 0, x;
	int j;

	rng_init(&r, seed, 4, (uint64_t)k);
	x = rng_below(&r, 100);
	for (p->app = 0; p->app < SEED_NAPPS - 1; p->app++) {
		w += (unsigned)seed_apps[p->app].weight;
		if (x < w)
			break;
	}
	p->seq = 1 + (int)rng_below(&r, (unsigned)seed_apps[p->app].nnodes);
	p->creator = npool > 1 ? 1 + (int)rng_below(&r, (unsigned)(npool - 1)) : 0;
	p->assignee = pick_person(&r, npool);
	for (j = 0; j < SEED_MAX_NODES - 1; j++)
		p->actors[j] = pick_person(&r, npool);
	p->suspended = rng_below(&r, 100) < 2;
	p->locked = rng_below(&r, 100) < 1;
	p->at[0] = day0 - 86400 * (time_t)(4 + rng_below(&r, 45)) + (time_t)rng_below(&r, 86400);
	for (j = 1; j < SEED_MAX_NODES; j++)
		p->at[j] = p->at[j - 1] + 600 + (time_t)rng_below(&r, 20 * 3600);
}

static const char *const comments[] = {"同意", "同意。", "情况属实，同意", "已核对无误",
                                       "同意，请继续办理"};

void
seed_plan_comments(unsigned seed, long long k, int n, const char **out)
{
	struct rng r;
	int j;

	rng_init(&r, seed, 5, (uint64_t)k);
	for (j = 0; j < n; j++)
		out[j] = PICK(&r, comments);
}
