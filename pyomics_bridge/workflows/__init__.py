"""End-to-end workflows behind ``pyomics-bridge demo``: one per method family, each on bundled or synthetic data.

A workflow is a function ``run(out_dir, *, random_state, use_r) -> WorkflowResult`` registered with
:func:`register`. Each method family adds its own when it lands; :func:`run_demo` runs all that are available,
writes their result files (.h5ad/.h5mu) and a self-contained HTML report.
"""

from ._registry import Workflow, WorkflowResult, available_workflows, register, run_demo

__all__ = ["Workflow", "WorkflowResult", "available_workflows", "register", "run_demo"]
