"""What an import says, in Chinese (the default: an office in China) and English: the refusals of a whole file
(`FILE`), the faults of a cell (`CELL`) and of a row (`ROW`). A service adds the words of its own rules
(`say` takes any catalogue of the same shape)."""

from typing import Any, Literal

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
Catalogue = dict[str, dict[str, str]]


def language_of(accept_language: str | None) -> Language:
    """English when the first language the request asks for is English; Chinese otherwise."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh-CN"


def say(catalogue: Catalogue, key: str, language: Language, /, **params: Any) -> str:
    words = catalogue.get(key)
    if words is None:
        return key
    return words[language].format(**params)


FILE: Catalogue = {
    "not_multipart": {
        "zh-CN": "请以 multipart/form-data 上传，文件放在名为 file 的字段中。",
        "en": "Send the file as multipart/form-data in a field named file.",
    },
    "bad_multipart": {"zh-CN": "上传内容无法解析：{why}", "en": "The upload cannot be read: {why}"},
    "no_file": {"zh-CN": "没有收到文件（字段名应为 file）。", "en": "No file was sent (the field is named file)."},
    "too_large": {"zh-CN": "文件不能超过 {mb} MB。", "en": "A file may be at most {mb} MB."},
    "empty": {"zh-CN": "文件是空的。", "en": "The file is empty."},
    "xls": {
        "zh-CN": "这是旧版 .xls 文件或加了密码的文件：请在 Excel 中另存为 .xlsx（不设密码）或 CSV 后再上传。",
        "en": "This is an old .xls file or a password-protected one: save it as .xlsx (no password) or CSV and upload "
        "that.",
    },
    "not_spreadsheet": {
        "zh-CN": "这不是表格文件：请上传 .xlsx 或 .csv 文件。",
        "en": "This is not a spreadsheet: upload an .xlsx or .csv file.",
    },
    "not_xlsx": {
        "zh-CN": "这是压缩文件，但不是 Excel 工作簿：请上传 .xlsx 或 .csv 文件。",
        "en": "This is a zip file but not an Excel workbook: upload an .xlsx or .csv file.",
    },
    "bad_xlsx": {
        "zh-CN": "这个 .xlsx 文件已损坏，无法读取：请在 Excel 中打开并重新保存。",
        "en": "This .xlsx file is damaged and cannot be read: open it in Excel and save it again.",
    },
    "zip_bomb": {
        "zh-CN": "文件解压后过大（超过 {mb} MB），已拒绝：请只保留要导入的数据。",
        "en": "The file would inflate to more than {mb} MB and is refused: keep only the data to import.",
    },
    "encrypted": {
        "zh-CN": "文件加了密码：请去掉密码后再上传。",
        "en": "The file is password-protected: remove the password and upload it again.",
    },
    "formula": {
        "zh-CN": "单元格 {cell} 是公式（共 {n} 个公式单元格）：请复制后“选择性粘贴为数值”，再上传。",
        "en": "Cell {cell} holds a formula ({n} formula cells in all): copy and paste them as values, then upload "
        "again.",
    },
    "too_many_rows": {
        "zh-CN": "一次最多导入 {limit} 行：请把文件拆开分几次导入。",
        "en": "At most {limit} rows can be imported at once: split the file and import the parts.",
    },
    "cell_too_long": {
        "zh-CN": "单元格 {cell} 的内容过长。",
        "en": "Cell {cell} holds too much text.",
    },
    "no_header": {
        "zh-CN": "在前 10 行中没有找到表头：请使用模板，表头至少要有：{columns}。",
        "en": "No heading row in the first 10 rows: use the template; the headings must include {columns}.",
    },
    "missing_columns": {"zh-CN": "缺少必需的列：{columns}。", "en": "Required columns are missing: {columns}."},
    "twice": {"zh-CN": "“{column}”这一列出现了两次。", "en": "The column “{column}” appears twice."},
    "no_rows": {"zh-CN": "表头下面没有数据。", "en": "There are no rows under the headings."},
    "not_geojson": {
        "zh-CN": "边界文件不是 GeoJSON 要素集合（FeatureCollection）：{why}",
        "en": "The boundaries file is not a GeoJSON FeatureCollection: {why}",
    },
    "wrong_file": {
        "zh-CN": "文件与试导入时的不同：请重新试导入后再确认。",
        "en": "This is not the file that was checked: check it again, then commit.",
    },
    "commit_refused": {
        "zh-CN": "有 {n} 行有错误，没有导入任何数据：请改正后重试，或选择“跳过错误行”。",
        "en": "{n} rows have errors, so nothing was imported: correct them, or choose to skip bad rows.",
    },
}

CELL: Catalogue = {
    "required": {"zh-CN": "必填。", "en": "Required."},
    "control": {"zh-CN": "含有不可见的控制字符。", "en": "Holds invisible control characters."},
    "too_long": {"zh-CN": "不能超过 {max} 个字。", "en": "At most {max} characters."},
    "not_code": {
        "zh-CN": "编码只能由字母、数字和 _ . - 组成，最长 40 位。",
        "en": "A code has letters, digits and _ . - only, at most 40.",
    },
    "not_integer": {"zh-CN": "应为整数。", "en": "Must be a whole number."},
    "not_number": {"zh-CN": "应为数字。", "en": "Must be a number."},
    "out_of_range": {"zh-CN": "应在 {low} 到 {high} 之间。", "en": "Must lie between {low} and {high}."},
    "not_boolean": {"zh-CN": "请填“是”或“否”。", "en": "Fill in yes or no (是 / 否)."},
    "not_date": {
        "zh-CN": "应为 2000 至 2100 年间的日期，如 2026-01-05。",
        "en": "Must be a date from 2000 to 2100, e.g. 2026-01-05.",
    },
    "not_phone": {
        "zh-CN": "不是有效的电话号码（只能有数字、空格和 -，可以 + 开头）。",
        "en": "Not a phone number (digits, spaces and - only, + may lead).",
    },
    "not_choice": {"zh-CN": "应为以下之一：{options}。", "en": "Must be one of: {options}."},
    "not_valid": {"zh-CN": "不符合要求：{why}", "en": "Not valid: {why}"},
}

ROW: Catalogue = {
    "duplicate": {
        "zh-CN": "与第 {first} 行重复（{key}）：每项只能出现一次。",
        "en": "Repeats row {first} ({key}): each may appear once.",
    },
    "conflict": {
        "zh-CN": "导入期间这条记录被他人改动了：请重试。",
        "en": "Someone changed this record during the import: try again.",
    },
    "rule": {"zh-CN": "不符合规则：{why}", "en": "{why}"},
}
