"""Names shown to people: statuses, rule families and rules, in Chinese and English.

Shared by the map, the reports and the QGIS styles so that all three say the same.
"""

from __future__ import annotations

__all__ = ["FAMILY_LABELS", "RULE_NAMES", "STATUS_COLORS", "STATUS_LABELS"]

#: Colours by status, on the map, in reports and in QGIS styles.
STATUS_COLORS = {
    "pass": "#2e9d44",
    "fail": "#d7263d",
    "not_applicable": "#9e9e9e",
    "insufficient_data": "#f0a30a",
}

#: Statuses as people read them: map, terminal summary, reports, QGIS styles.
STATUS_LABELS = {
    "zh": {"pass": "通过", "fail": "不通过", "not_applicable": "不适用", "insufficient_data": "数据不足"},
    "en": {"pass": "pass", "fail": "fail", "not_applicable": "not applicable", "insufficient_data": "insufficient data"},
}

#: Rule families (the part of a rule id before the dot), and the overall status.
FAMILY_LABELS = {
    "zh": {
        "overall": "综合结论",
        "indicator": "技术经济指标",
        "split": "分割转让",
        "merge": "合并转让",
        "transfer": "转让条件",
        "fringe": "零星地块",
        "facility": "配套用地",
        "efficiency": "亩均效益",
        "incentive": "激励政策",
        "landuse": "用地管控",
        "renovation": "技术改造",
        "supply": "土地供应",
    },
    "en": {
        "overall": "Overall status",
        "indicator": "Technical-economic indicators",
        "split": "Split transfer",
        "merge": "Merge transfer",
        "transfer": "Transfer conditions",
        "fringe": "Fringe plots",
        "facility": "Facility land",
        "efficiency": "Per-mu efficiency",
        "incentive": "Incentives",
        "landuse": "Land-use control",
        "renovation": "Renovation",
        "supply": "Land supply",
    },
}

#: Short names of the rules of POLICY.md.
RULE_NAMES = {
    "zh": {
        "fringe.adjacent": "零星地块相邻",
        "fringe.area_cap": "零星地块面积上限",
        "fringe.intensity": "零星地块利用强度",
        "fringe.no_split": "零星地块不得分割",
        "split.in_production": "分割前已竣工投产",
        "split.partition": "分割方案完整覆盖",
        "split.max_pieces": "分割宗数上限",
        "split.min_piece_area": "分割后最小面积",
        "split.building_integrity": "建筑物不被分割",
        "split.facility_land": "配套用地不得单独分割",
        "split.no_resplit": "不得再次分割",
        "transfer.transferee": "受让方条件",
        "transfer.standard_land": "标准地转让条件",
        "merge.adjacent": "合并地块相邻",
        "merge.same_ownership": "权属性质一致",
        "merge.same_right_type": "使用权类型一致",
        "merge.remaining_term": "剩余年限",
        "merge.no_split_after": "合并后不得分割",
        "indicator.far_max": "容积率上限",
        "indicator.height_max": "建筑限高",
        "indicator.density_max": "建筑密度上限",
        "incentive.fee_exempt_area": "免收土地价款面积",
        "incentive.vertical_subsidy": "向上发展奖励",
        "facility.land_share": "配套用地比例",
        "efficiency.survey_scope": "亩均评价范围",
        "efficiency.low_efficiency": "低效用地认定",
        "efficiency.benchmark": "亩均税收基准",
        "efficiency.grade_incentive": "亩均等级政策",
        "landuse.retain_industrial": "保留工业用途",
        "landuse.control_line": "工业用地控制线",
        "renovation.admission": "技改准入",
        "transfer.pre_registration": "预告登记转让",
        "supply.industrial_share": "工业用地供应比例",
        "supply.standard_land": "标准地出让",
        "renovation.permit_exempt": "技改免办规划许可",
        "incentive.rent_subsidy": "租赁厂房补贴",
    },
    "en": {
        "fringe.adjacent": "Fringe plot adjacent",
        "fringe.area_cap": "Fringe plot area cap",
        "fringe.intensity": "Fringe plot intensity",
        "fringe.no_split": "Fringe plot not split",
        "split.in_production": "In production before split",
        "split.partition": "Split plan covers parcel",
        "split.max_pieces": "Maximum pieces",
        "split.min_piece_area": "Minimum piece area",
        "split.building_integrity": "Buildings not cut",
        "split.facility_land": "Facility land not split off",
        "split.no_resplit": "No re-split",
        "transfer.transferee": "Transferee conditions",
        "transfer.standard_land": "Standard-land transfer",
        "merge.adjacent": "Merged parcels adjacent",
        "merge.same_ownership": "Same ownership",
        "merge.same_right_type": "Same right type",
        "merge.remaining_term": "Remaining term",
        "merge.no_split_after": "No split after merge",
        "indicator.far_max": "Maximum FAR",
        "indicator.height_max": "Height limit",
        "indicator.density_max": "Maximum density",
        "incentive.fee_exempt_area": "Fee-exempt floor area",
        "incentive.vertical_subsidy": "Vertical-development subsidy",
        "facility.land_share": "Facility land share",
        "efficiency.survey_scope": "Per-mu survey scope",
        "efficiency.low_efficiency": "Low-efficiency land",
        "efficiency.benchmark": "Per-mu tax benchmark",
        "efficiency.grade_incentive": "Grade-based measures",
        "landuse.retain_industrial": "Industrial use retained",
        "landuse.control_line": "Industrial control line",
        "renovation.admission": "Renovation admission",
        "transfer.pre_registration": "Pre-registration transfer",
        "supply.industrial_share": "Industrial supply share",
        "supply.standard_land": "Standard-land supply",
        "renovation.permit_exempt": "Renovation permit exemption",
        "incentive.rent_subsidy": "Rent subsidy",
    },
}
