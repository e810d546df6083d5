"""Mission-defined categories: a small safe rule language over canonical columns, compiled to
parameterised SQL and evaluated in Python with the same three-valued semantics; race reporting
schemes; versioned category definitions; crossing; warnings on how a rule splits the data.

See ``docs/categories.md`` for the language, the New Mexico defaults and versioning.
"""

from ristra.core.categories.checking import ColumnInfo, Rule, check, columns_for
from ristra.core.categories.coverage import CategoryWarning, MembershipCounts, membership_warnings
from ristra.core.categories.crossing import CrossedCategory, cross
from ristra.core.categories.definitions import (
    CategoryDefinition,
    CategoryFileError,
    CategorySet,
    DefinitionProblem,
    changes,
    definition_from_dict,
    definitions_from_dict,
)
from ristra.core.categories.derived import DERIVED, DERIVED_COLUMNS, DerivedColumn, derived_columns
from ristra.core.categories.evaluator import evaluate, membership
from ristra.core.categories.race import (
    AOIC_LEVELS,
    IPEDS_LEVELS,
    NM_SCHOOL_ROLLUP,
    AloneOrInCombinationSummary,
    RollUp,
    alone_or_in_combination,
    alone_or_in_combination_sql,
    ipeds_level,
    ipeds_sql,
    summarise_alone_or_in_combination,
)
from ristra.core.categories.sql import MEMBERSHIP_LEVELS, SqlFragment, compile_rule, membership_sql
from ristra.core.categories.syntax import RuleError, parse

__all__ = [
    "AOIC_LEVELS",
    "DERIVED",
    "DERIVED_COLUMNS",
    "IPEDS_LEVELS",
    "MEMBERSHIP_LEVELS",
    "NM_SCHOOL_ROLLUP",
    "AloneOrInCombinationSummary",
    "CategoryDefinition",
    "CategoryFileError",
    "CategorySet",
    "CategoryWarning",
    "ColumnInfo",
    "CrossedCategory",
    "DefinitionProblem",
    "DerivedColumn",
    "MembershipCounts",
    "RollUp",
    "Rule",
    "RuleError",
    "SqlFragment",
    "alone_or_in_combination",
    "alone_or_in_combination_sql",
    "changes",
    "check",
    "columns_for",
    "compile_rule",
    "cross",
    "definition_from_dict",
    "definitions_from_dict",
    "derived_columns",
    "evaluate",
    "ipeds_level",
    "ipeds_sql",
    "membership",
    "membership_sql",
    "membership_warnings",
    "parse",
    "summarise_alone_or_in_combination",
]
