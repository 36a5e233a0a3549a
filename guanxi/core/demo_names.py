"""Name parts and generators of realistic Chinese and English demo data.

Shared by `guanxi demo`, `bench/generate.py` and the duplicate-detection test cases, so the
benchmark data and the test cases look like the demo data.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from guanxi.customers.choices import (
    Gender,
)


def _words(text: str, separator: str | None = None) -> tuple[str, ...]:
    """Return the items of a compact data table written as one string."""
    return tuple(text.split(separator))


@dataclass(frozen=True)
class City:
    name: str  # as it starts a company name, e.g. 杭州
    province: str  # e.g. 浙江省 (municipalities repeat their own name)
    city: str  # e.g. 杭州市
    districts: tuple[str, ...]
    area_code: str  # without the trunk 0
    postal_prefix: str
    english: str = ""
    subscriber_digits: int = 8  # of a landline, after the area code


# name province city area-code subscriber-digits postal-prefix English districts…
_CITY_TABLE = """
北京 北京市 北京市 10 8 100 Beijing 朝阳区 海淀区 东城区 西城区 丰台区
上海 上海市 上海市 21 8 200 Shanghai 浦东新区 徐汇区 静安区 闵行区 长宁区
广州 广东省 广州市 20 8 510 Guangzhou 天河区 越秀区 海珠区 番禺区
深圳 广东省 深圳市 755 8 518 Shenzhen 南山区 福田区 宝安区 龙岗区
杭州 浙江省 杭州市 571 8 310 Hangzhou 西湖区 滨江区 余杭区 拱墅区
南京 江苏省 南京市 25 8 210 Nanjing 鼓楼区 玄武区 建邺区 江宁区
苏州 江苏省 苏州市 512 8 215 Suzhou 姑苏区 吴中区 虎丘区 相城区
成都 四川省 成都市 28 8 610 Chengdu 武侯区 锦江区 青羊区 成华区
武汉 湖北省 武汉市 27 8 430 Wuhan 江汉区 洪山区 武昌区 汉阳区
西安 陕西省 西安市 29 8 710 Xi'an 雁塔区 碑林区 未央区 长安区
宁波 浙江省 宁波市 574 8 315 Ningbo 鄞州区 海曙区 江北区
厦门 福建省 厦门市 592 7 361 Xiamen 思明区 湖里区 集美区
青岛 山东省 青岛市 532 8 266 Qingdao 市南区 市北区 崂山区
天津 天津市 天津市 22 8 300 Tianjin 和平区 南开区 河西区 滨海新区
重庆 重庆市 重庆市 23 8 400 Chongqing 渝中区 江北区 九龙坡区 南岸区
长沙 湖南省 长沙市 731 8 410 Changsha 岳麓区 芙蓉区 天心区
合肥 安徽省 合肥市 551 8 230 Hefei 蜀山区 包河区 庐阳区
郑州 河南省 郑州市 371 8 450 Zhengzhou 金水区 二七区 中原区
佛山 广东省 佛山市 757 8 528 Foshan 禅城区 南海区 顺德区
东莞 广东省 东莞市 769 8 523 Dongguan 南城街道 东城街道 松山湖
"""
CITIES = tuple(
    City(name, province, city, tuple(districts), area, postal, english, int(digits))
    for name, province, city, area, digits, postal, english, *districts in (
        _words(line) for line in _CITY_TABLE.strip().splitlines()
    )
)
STREETS = _words(
    "中山路 人民路 解放路 建设路 科技路 长江路 文化路 创业大道 高新大道 "
    "滨江大道 新华路 和平路 学院路 黄河路 世纪大道 光明路 东风路 南京路"
)
BUILDINGS = _words("国际大厦 科技园 金融中心 创业园 商务中心 软件园 时代广场 产业园 大厦")
BRAND_CHARS = (
    "云帆华信恒达瑞泰鑫汇通盛鼎宏凯博创新智联天海金宇嘉和丰安康东方明光远航中兴腾飞卓越"
    "立德润源聚佳永正星辰蓝峰启晨亿诚祥锦睿铭泽弘澜"
)
# industry word:Industry value
INDUSTRY_WORDS = tuple(
    tuple(item.split(":"))
    for item in _words(
        "网络科技:it 信息技术:it 软件:it 智能科技:it 电子商务:internet 互联网科技:internet "
        "数字科技:internet 机械制造:manufacturing 精密机械:manufacturing 电子:manufacturing "
        "汽车零部件:manufacturing 食品:manufacturing 化工:manufacturing 贸易:retail 商贸:retail "
        "服饰:retail 物流:logistics 供应链管理:logistics 医药:healthcare 医疗器械:healthcare "
        "生物科技:healthcare 建筑工程:construction 房地产开发:construction 装饰工程:construction "
        "新能源:energy 电力设备:energy 环保科技:energy 教育科技:education 培训:education "
        "文化传媒:services 企业管理咨询:services 酒店管理:services 投资管理:finance "
        "融资租赁:finance 农业发展:other"
    )
)
LEGAL_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司")
GOVERNMENT_NAMES = (
    ("杭州市数据资源管理局", 4),
    ("苏州工业园区管理委员会", 6),
    ("南京市江宁区教育局", 5),
    ("深圳市南山区科技创新局", 3),
)

# Surnames, most common first; 单 (shan), 曾 (zeng), 解 (xie) and 区 (ou) are read wrongly by
# pypinyin's default and must still be found by their initials.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤单解区仇"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
MALE_CHARS = "伟强磊军勇杰涛明超刚平辉鹏华建国志文斌浩宇峰龙海东林波鑫宁凯俊晨阳飞成永"
FEMALE_CHARS = "丽芳静敏娟婷雪琳慧颖燕霞红梅晓欣怡佳雨萍玲洁莉倩璐瑶琪蕾楠艳秀嘉悦"
ENGLISH_FIRST = _words(
    "James John Robert Michael David William Richard Thomas Daniel Mark Mary Patricia "
    "Jennifer Linda Elizabeth Susan Sarah Emily Laura Anna Kevin Jason Grace Sophie "
    "Oliver Lucas Hannah"
)
ENGLISH_LAST = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
    "Martin Thompson White Harris Clark Lewis Walker Young Wong Tan Lee Schmidt Fischer "
    "Weber"
)
ENGLISH_BRANDS = _words(
    "Pacific Rim|Northwind|Bluewater|Silverline|Golden Gate|Evergreen|Summit|Harbor|"
    "Crescent|Redwood|Atlas|Orion|Meridian|Sterling|Lotus|Jade|Dragon Gate|Pearl River|"
    "Victoria|Kowloon|Bright Star|Blue Ocean|Apex|Horizon|Keystone|Lighthouse|Maple|Nova|"
    "Pinnacle|Riverside|Sunrise|Tidewater|Vanguard|Westbrook|Zenith|Cedar|Falcon|Granite|"
    "Ironwood",
    "|",
)
ENGLISH_INDUSTRIES = tuple(
    tuple(item.split(":"))
    for item in _words(
        "Logistics:logistics|Trading:retail|Medical Devices:healthcare|Software:it|"
        "Semiconductors:manufacturing|Capital:finance|Energy:energy|Consulting:services|"
        "Learning:education|Engineering:construction|Digital:internet|Foods:manufacturing|"
        "Shipping:logistics|Pharma:healthcare|Systems:it",
        "|",
    )
)


@dataclass(frozen=True)
class Country:
    name: str
    province: str
    city: str
    calling_code: str
    legal_forms: tuple[str, ...]
    currency: str
    addresses: tuple[str, ...]


# fmt: off
ENGLISH_PLACES = (
    Country("Hong Kong", "", "Hong Kong", "852", ("Ltd.", "Limited", "Co., Ltd."), "HKD",
            ("18 Harbour Road, Wan Chai", "88 Queensway, Admiralty", "1 Austin Road West")),
    Country("Singapore", "", "Singapore", "65", ("Pte. Ltd.",), "USD",
            ("8 Marina Boulevard", "1 Raffles Place", "10 Anson Road")),
    Country("United States", "CA", "San Francisco", "1", ("Inc.", "LLC", "Corp."), "USD",
            ("555 Market Street", "101 California Street", "1 Embarcadero Center")),
    Country("United Kingdom", "England", "London", "44", ("Ltd.", "Limited"), "GBP",
            ("30 St Mary Axe", "1 Canada Square", "25 Old Broad Street")),
    Country("Germany", "Hamburg", "Hamburg", "49", ("GmbH",), "EUR",
            ("Jungfernstieg 7", "Große Elbstraße 145", "Ballindamm 40")),
    Country("中国", "上海市", "上海市", "86", ("Co., Ltd.",), "CNY",
            ("浦东新区世纪大道100号环球金融中心45楼", "静安区南京西路1266号恒隆广场2座30楼")),
)
# fmt: on

MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 158 159 166 176 177 180 181 "
    "182 185 186 187 188 189 199"
)
PERSONAL_MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "139.com", "sina.com", "outlook.com")
# title:contact role:department
CHINESE_TITLES = tuple(
    tuple(item.split(":"))
    for item in _words(
        "总经理:decision_maker:总经办 董事长:decision_maker:董事会 "
        "副总经理:decision_maker:总经办 采购经理:purchaser:采购部 采购专员:purchaser:采购部 "
        "技术总监:technical:技术部 IT主管:technical:信息中心 工程师:user:技术部 "
        "财务经理:finance:财务部 财务主管:finance:财务部 项目经理:influencer:项目部 "
        "行政主管:user:行政部 销售经理:influencer:销售部 法务专员:other:法务部"
    )
)
ENGLISH_TITLES = tuple(
    tuple(item.split(":"))
    for item in _words(
        "CEO:decision_maker:Management|Managing Director:decision_maker:Management|"
        "Procurement Manager:purchaser:Procurement|Buyer:purchaser:Procurement|"
        "CTO:technical:Engineering|IT Manager:technical:IT|CFO:finance:Finance|"
        "Operations Director:influencer:Operations|Project Manager:influencer:Projects|"
        "Office Manager:user:Administration",
        "|",
    )
)
HOBBIES = _words("高尔夫 钓鱼 喝茶 登山 摄影 羽毛球 书法 跑步 红酒 围棋 旅行")
ENGLISH_HOBBIES = ("Golf", "Sailing", "Tennis", "Wine", "Running", "Photography")

# ---------------------------------------------------------------------------------------
# Small generators (shared with bench/generate.py)
# ---------------------------------------------------------------------------------------


def cumulative_weights(count: int, offset: float = 4.0) -> list[float]:
    """Return Zipf-like cumulative weights: the first items are much more common."""
    return list(itertools.accumulate(1.0 / (rank + offset) for rank in range(count)))


_SURNAME_LIST = [*SURNAMES, *COMPOUND_SURNAMES]
_SURNAME_WEIGHTS = cumulative_weights(len(_SURNAME_LIST))
_MALE_WEIGHTS = cumulative_weights(len(MALE_CHARS), 6.0)
_FEMALE_WEIGHTS = cumulative_weights(len(FEMALE_CHARS), 6.0)


def pick_weighted(rng: random.Random, items, cumulative: list[float]):
    return items[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]


def chinese_name(rng: random.Random, surname: str | None = None) -> tuple[str, str, str]:
    """Return (surname, given name, gender) of a plausible Chinese person."""
    surname = surname or pick_weighted(rng, _SURNAME_LIST, _SURNAME_WEIGHTS)
    gender = Gender.FEMALE if rng.random() < 0.45 else Gender.MALE
    chars, weights = (
        (FEMALE_CHARS, _FEMALE_WEIGHTS) if gender == Gender.FEMALE else (MALE_CHARS, _MALE_WEIGHTS)
    )
    given = pick_weighted(rng, chars, weights)
    if rng.random() < 0.7:
        given += pick_weighted(rng, chars, weights)
    return surname, given, str(gender)


# How these surnames are read; pypinyin's character default is another reading.
SURNAME_READINGS = dict(
    item.split(":") for item in _words("单:shan 曾:zeng 解:xie 区:ou 仇:qiu 覃:qin 朴:piao 查:zha")
)
_PINYIN: dict[str, str] = {}


def romanize(text: str) -> str:
    """Return the toneless pinyin of Chinese text, cached per character (for emails, urls)."""
    out = []
    for char in text:
        if char not in _PINYIN:
            _PINYIN[char] = "".join(lazy_pinyin(char)).lower()
        out.append(_PINYIN[char])
    return "".join(out)


def latin_name(surname: str, given: str) -> str:
    """Return a Chinese name in pinyin as people write it in emails: zengzhiqiang."""
    return (SURNAME_READINGS.get(surname) or romanize(surname)) + romanize(given)


def mobile_number(rng: random.Random) -> tuple[str, str]:
    """Return a Chinese mobile number in one of the formats people type, and its E.164."""
    prefix = MOBILE_PREFIXES[int(rng.random() * len(MOBILE_PREFIXES))]
    rest = f"{int(rng.random() * 10**8):08d}"
    digits = prefix + rest
    style = rng.random()
    if style < 0.35:
        text = digits
    elif style < 0.6:
        text = f"{prefix} {rest[:4]} {rest[4:]}"
    elif style < 0.75:
        text = f"{prefix}-{rest[:4]}-{rest[4:]}"
    elif style < 0.9:
        text = f"+86 {prefix} {rest[:4]} {rest[4:]}"
    else:
        text = f"+86{digits}"
    return text, "+86" + digits


def landline_number(rng: random.Random, city: City) -> tuple[str, str]:
    """Return a Chinese landline of a city in a common format, and its E.164."""
    area_code, length = city.area_code, city.subscriber_digits
    # Numbers starting with 5-7 are valid in every city listed (phonenumbers' metadata).
    subscriber = (
        f"{5 + int(rng.random() * 3)}{int(rng.random() * 10 ** (length - 1)):0{length - 1}d}"
    )
    style = rng.random()
    if style < 0.4:
        text = f"0{area_code}-{subscriber}"
    elif style < 0.6:
        text = f"0{area_code}-{subscriber[:4]} {subscriber[4:]}"
    elif style < 0.75:
        text = f"(0{area_code}) {subscriber}"
    elif style < 0.85:
        text = f"+86 {area_code} {subscriber[:4]} {subscriber[4:]}"
    else:
        text = f"0{area_code}{subscriber}"
    return text, f"+86{area_code}{subscriber}"


def chinese_address(rng: random.Random, city: City) -> tuple[str, str]:
    """Return (street address, postal code) in a city."""
    district = rng.choice(city.districts)
    street = rng.choice(STREETS)
    number = rng.randint(1, 999)
    if rng.random() < 0.6:
        building = f"{rng.choice(BRAND_CHARS)}{rng.choice(BRAND_CHARS)}{rng.choice(BUILDINGS)}"
        detail = f"{building}{rng.choice('ABCD')}座{rng.randint(2, 30)}{rng.randint(1, 20):02d}室"
    else:
        detail = f"{rng.randint(1, 12)}号楼{rng.randint(1, 6)}层"
    postal = f"{city.postal_prefix}{rng.randrange(1000):03d}"
    return f"{district}{street}{number}号{detail}", postal


def company_domain(brand: str, industry_word: str) -> str:
    suffix = {"网络科技": "tech", "信息技术": "it", "软件": "soft", "物流": "logistics"}.get(
        industry_word, "group"
    )
    return f"{romanize(brand)}-{suffix}.com"
