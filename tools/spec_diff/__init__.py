"""Client-aware diff of two OpenAPI specs.

Classifies every change between two versions of ``openapi.yaml`` as breaking,
warning or info for a client built on the old version, following oasdiff's
checks (see :mod:`.rules` for the table and the few places we differ), and
reports what the change does to the generated client and the facade.

Modules, one concern each:

* :mod:`.loader`: YAML/JSON, ``$ref`` resolution, ``allOf`` merging, with
  :mod:`.bundle` (references to other files inlined);
* the walkers: :mod:`.compare` (document, paths), :mod:`.operation` (one
  operation), :mod:`.security`, :mod:`.schema_diff` (schemas, keyword table),
  :mod:`.raw_walk` (documentation and edits no rule judges), sharing a
  :class:`.shared_state.SharedState`;
* :mod:`.rules`: the classification table, its ``oasdiff`` column derived
  from :mod:`.oasdiff_levels`;
* :mod:`.render`: text, markdown and JSON reports;
* :mod:`.code_impact` (regeneration, API diffs, verdict) with
  :mod:`.model_fields` (attrs constructors), :mod:`.facade_scan` (which
  generated names the facade uses) and :mod:`.facade_run` /
  :mod:`.facade_probe` (the facade called on the regenerated client);
* :mod:`.sources` (two files or a git revision, and which base) and :mod:`.cli`.
"""

from .compare import diff_specs
from .loader import Spec, SpecError
from .model import Change, Level, Report, Side
from .sources import load_file

__all__ = ["Change", "Level", "Report", "Side", "Spec", "SpecError", "diff_specs", "load_file"]
