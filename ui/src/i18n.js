// The page's own words in Chinese (the default) and English; figures bring
// their labels in both (label_zh, label) from the report itself.
export const strings = {
  zh: {
    title: '监督工作报告', signin: '登录', signin_cert: '使用数字证书登录', user: '用户名',
    password: '密码', signout: '退出', tenant: '单位代码', from: '起', to: '止', show: '查询',
    print: '打印 / PDF', headline: '主要指标', trend: '月度趋势（本年与上年同期）', figure: '指标',
    ranking: '县区排名', ranking_units: '派驻机构排名', unit: '派驻机构', no_units: '无派驻机构数据', sources: '线索来源', staffing: '编制配备率与配备规则', grid: '县区与工作模式',
    all: '全部指标', definitions: '指标口径', csv: '下载 CSV', lang: 'English',
    period: (r) => `统计期间 ${r.from} 至 ${r.to}` + (r.previous ? `，同比 ${r.previous.from} 至 ${r.previous.to}` : ''),
    as_of: (t) => `数据截至 ${t}`, growth: '同比', definition: '口径', of: (n) => `共 ${n}`,
    suppressed: '数量过小，不予显示', missing: (m) => `未纳入：${m}`, loading: '正在加载…',
    loaded: '已加载', this_year: '本年', last_year: '上年同期', no_months: '本报告无分月数据',
    no_counties: '本单位为县级，无下级县区', rule: '核定编制（100%）', breaches: (n) => `违反配备规则的派驻机构：${n}`,
    county: '县区', section: '板块', value: '本期', previous: '上年同期', centralized: '集中办公',
    task_force: '专班式', area: '片区式', joint_group: '联合式', signed_in: (u) => `已登录：${u}`,
    bad_signin: '用户名或密码错误', error: (m) => `出错：${m}`, no_report: '报告接口不可用：',
    source: '线索来源', yes: '是', no: '否', no_staffing: '无编制配备数据', sep: '；', open: '（', close: '）', comma: '，',
  },
  en: {
    title: "Leaders' report", signin: 'Sign in', signin_cert: 'Sign in with my certificate', user: 'User',
    password: 'Password', signout: 'Sign out', tenant: 'Tenant code', from: 'From', to: 'To', show: 'Show',
    print: 'Print / PDF', headline: 'Headline figures', trend: 'Monthly trend, this year against last',
    figure: 'Figure', ranking: 'Counties ranked', ranking_units: 'Dispatched agencies ranked', unit: 'Agency', no_units: 'No dispatched agencies', sources: 'Leads by source', staffing: 'Staffing rate against the rule',
    grid: 'Counties by working mode', all: 'All figures', definitions: 'Definitions', csv: 'Download CSV',
    lang: '中文',
    period: (r) => `Period ${r.from} to ${r.to}` + (r.previous ? `, compared with ${r.previous.from} to ${r.previous.to}` : ''),
    as_of: (t) => `Data as of ${t}`, growth: 'year on year', definition: 'definition', of: (n) => `of ${n}`,
    suppressed: 'too small to show', missing: (m) => `Not included: ${m}`, loading: 'Loading…',
    loaded: 'Loaded', this_year: 'This year', last_year: 'Last year', no_months: 'No monthly figures in this report',
    no_counties: 'A county: no counties beneath it', rule: 'Approved posts (100%)', breaches: (n) => `Agencies breaking the staffing rule: ${n}`,
    county: 'County', section: 'Section', value: 'This period', previous: 'Last year', centralized: 'Centralized',
    task_force: 'Task force', area: 'Area', joint_group: 'Joint group', signed_in: (u) => `Signed in: ${u}`,
    bad_signin: 'Unknown user or wrong password', error: (m) => `Error: ${m}`, no_report: 'The report is unavailable: ',
    source: 'Source', yes: 'yes', no: 'no', no_staffing: 'No staffing figures', sep: '; ', open: ' (', close: ')', comma: ', ',
  },
};

export function label(obj, lang, key = 'label') {
  return (lang === 'zh' ? obj[`${key}_zh`] : obj[key]) || obj[key] || obj[`${key}_zh`] || obj.key || '';
}
