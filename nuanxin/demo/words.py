"""The words and tables the demo community (builder.py) and the generated city (city/) draw
their people, places and trades from: synthetic and plausible, never survey data."""

from nuanxin.people.models import SpecialGroup

# Common surnames, most frequent first (weights fall with rank).
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文普杞"
)

SURNAME_WEIGHTS = [1 / (rank + 6) for rank in range(len(SURNAMES))]

GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林洋峰建国志文东海亮成永德春庆家兴晨博阳然轩睿泽昊"

GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲燕红琳婷雪梅莉兰萍倩颖洁慧佳欣怡悦琪雯晶露瑶岚薇蕾楠妍彤涵萱"

# The road each grid's addresses are on (grid number → road).
ROADS = {1: "日新中路", 2: "前卫西路", 3: "怡心路", 4: "滇池路", 5: "西园路", 6: "兴苑路"}

COMMERCIAL_CENTRES = (("南亚风情第壹城", 2), ("滇池时代广场", 5))

# 13 residential compounds (name, grid).
COMPOUNDS = (
    ("怡心苑", 1),
    ("桥香园", 1),
    ("日新家园", 1),
    ("春城雅居", 2),
    ("翠湖丽景", 3),
    ("福海佳园", 3),
    ("金碧苑", 3),
    ("滇池花园", 4),
    ("西苑小区", 4),
    ("明珠花园", 5),
    ("怡景园", 6),
    ("润城小区", 6),
    ("兴苑新村", 6),
)

AMENITIES = ("热水", "无线网络", "医药箱", "微波炉", "卫生间", "充电")

# 8 warm stations (name suffix, grid, host, opening hours), each beside its host (a place in
# the same grid, or the community's own service centre); a host that is a centre houses it.
STATIONS = (
    ("南亚风情第壹城", 2, "南亚风情第壹城", "09:00-23:00"),
    ("滇池时代广场", 5, "滇池时代广场", "09:00-22:30"),
    ("党群服务中心", 3, "怡心桥社区党群服务中心", "08:30-21:00"),
    ("怡心苑", 1, "怡心苑", "00:00-24:00"),
    ("日新中路", 1, "前卫派出所怡心桥警务室", "00:00-24:00"),
    ("工商银行", 2, "工商银行日新中路支行", "08:30-20:00"),
    ("滇池路", 4, "滇池花园", "08:00-22:00"),
    ("兴苑路", 6, "怡心物业服务有限公司", "07:30-22:00"),
)

# Merchants' trades: category → name endings, and how common the category is.
TRADES: dict[str, tuple[tuple[str, ...], int]] = {
    "餐饮": (
        ("过桥米线", "小锅米线", "饵丝", "火锅", "烧烤", "面馆", "饺子馆", "汽锅鸡", "私房菜", "咖啡", "奶茶", "烘焙"),
        35,
    ),
    "便利店": (("便利店", "超市"), 10),
    "美容美发": (("美发", "美容", "美甲"), 10),
    "服装鞋帽": (("服饰", "鞋店", "童装"), 10),
    "医药": (("大药房",), 4),
    "水果生鲜": (("水果", "生鲜"), 6),
    "烟酒茶": (("茶庄", "烟酒"), 5),
    "通讯数码": (("手机店", "数码"), 5),
    "生活服务": (("洗衣店", "家电维修", "开锁", "照相馆"), 6),
    "五金建材": (("五金", "建材"), 3),
    "教育培训": (("教育", "艺术培训"), 4),
    "宠物": (("宠物店",), 2),
}

ENTERPRISE_TRADES = ("科技", "文化传媒", "商贸", "信息咨询", "物流", "设计", "广告", "旅行社", "建筑工程", "餐饮管理")

BRAND_FIRST = "云滇春怡金福鑫佳乐悦盛和顺兴源德祥瑞康鸿丰嘉美新老"

BRAND_SECOND = "香味客记家坊里缘满品道尚乐园轩阁堂居汇"

MOBILE_PREFIXES = (
    "139",
    "138",
    "137",
    "136",
    "135",
    "158",
    "159",
    "187",
    "188",
    "150",
    "151",
    "152",
    "182",
    "183",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "180",
    "181",
    "189",
    "177",
    "199",
)

SPECIAL_NOTES: dict[str, tuple[str, ...]] = {
    SpecialGroup.ELDERLY_ALONE: ("子女在外地工作", "每周电话问候", "行动不便，需上门走访", ""),
    SpecialGroup.DISABLED: ("持残疾证", ""),
    SpecialGroup.LEFT_BEHIND_CHILD: ("父母在外务工，随祖父母生活",),
    SpecialGroup.LOW_INCOME: ("享受最低生活保障", ""),
    SpecialGroup.VETERAN: ("",),
}
