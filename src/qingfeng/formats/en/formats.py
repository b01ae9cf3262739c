# Dates as people type them in offices; Django's own zh-hans list misses most of these.
DATE_FORMAT = "N j, Y"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "N j, Y, H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y/%m/%d", "%Y%m%d"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y.%m.%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y年%m月%d日",
]
FIRST_DAY_OF_WEEK = 1
