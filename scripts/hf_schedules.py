#!/usr/bin/env python3
"""Reference learning-rate multipliers from Hugging Face transformers, for PretrainKit's schedule tests.

Reads a JSON list of requests on stdin and prints one JSON object on stdout:

    request:  {"id": "cos-1", "function": "get_cosine_schedule_with_warmup",
               "kwargs": {"num_warmup_steps": 10, "num_training_steps": 100, "num_cycles": 0.5},
               "steps": 110, "base_lr": 3e-4}
    output:   {"transformers_version": "5.23.0", "source": ".../optimization.py",
               "results": [{"id": "cos-1", "multipliers": [...], "lrs": [...]}]}

`multipliers[s]` is the schedule's lambda at step s = 0, 1, …, steps − 1: torch's LambdaLR sets the learning
rate for optimizer step s to base_lr × lambda(s), and `lrs` (present when base_lr is given) is that product.
`kwargs` are the public function's keyword arguments without the optimizer and last_epoch; for
get_polynomial_decay_schedule_with_warmup, base_lr is the optimizer's lr (lr_init) and is required.

This EXECUTES HUGGING FACE'S OWN CODE: transformers/optimization.py imports torch at module level, and PyPI's
torch is a multi-GB build, so instead of importing the module this script locates the installed file, parses
it with `ast`, and compiles only the pure-Python module-level lambda functions (they need nothing but `math`).
The public get_* wrappers (which build a torch LambdaLR) are re-stated below in a few lines each, mirroring
their argument defaults and pre-processing as of transformers 5.23.0.
"""

from __future__ import annotations

import __future__
import ast
import functools
import importlib.metadata
import importlib.util
import json
import math
import os
import sys

# The module-level functions taken from transformers/optimization.py, by name. A name defined twice keeps its
# last definition, as at import time (`_get_cosine_schedule_with_warmup_lr_lambda` is defined twice; the second,
# with `min_lr_rate`, is the one the public functions use).
LAMBDA_NAMES = (
    "_get_constant_schedule_with_warmup_lr_lambda",
    "_get_linear_schedule_with_warmup_lr_lambda",
    "_get_cosine_schedule_with_warmup_lr_lambda",
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda",
    "_get_inverse_sqrt_schedule_lr_lambda",
    "_get_wsd_scheduler_lambda",
)


class RequestError(Exception):
    """A request or the installed transformers could not be used; the message says why."""


def optimization_source() -> str:
    """Path of the installed transformers/optimization.py, found without importing transformers."""
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.submodule_search_locations:
        raise RequestError("transformers is not installed in this Python (run scripts/reference-venv.sh)")
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "optimization.py")
        if os.path.isfile(path):
            return path
    raise RequestError("transformers is installed but has no optimization.py")


def load_lambdas(path: str) -> dict:
    """Compiles the LAMBDA_NAMES function definitions of `path`, in file order, into a namespace with `math`."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), filename=path)
    wanted = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in LAMBDA_NAMES]
    missing = sorted(set(LAMBDA_NAMES) - {node.name for node in wanted})
    if missing:
        raise RequestError(f"{path} lacks {', '.join(missing)}: this transformers version is not supported")
    module = ast.Module(body=wanted, type_ignores=[])
    code = compile(module, path, "exec", flags=__future__.annotations.compiler_flag, dont_inherit=True)
    namespace = {"math": math, "__name__": "transformers_optimization_lambdas"}
    exec(code, namespace)  # noqa: S102 - runs transformers' own schedule functions, nothing else
    return namespace


def make_lambda(ns: dict, function: str, kwargs: dict, base_lr):
    """The lr_lambda that transformers' public `function` hands to LambdaLR for these keyword arguments."""
    kw = dict(kwargs)
    if function == "get_constant_schedule":
        return lambda _step: 1.0  # _get_constant_lambda
    if function == "get_constant_schedule_with_warmup":
        return functools.partial(ns["_get_constant_schedule_with_warmup_lr_lambda"],
                                 num_warmup_steps=kw["num_warmup_steps"])
    if function == "get_linear_schedule_with_warmup":
        return functools.partial(ns["_get_linear_schedule_with_warmup_lr_lambda"],
                                 num_warmup_steps=kw["num_warmup_steps"],
                                 num_training_steps=kw["num_training_steps"])
    if function == "get_cosine_schedule_with_warmup":
        return functools.partial(ns["_get_cosine_schedule_with_warmup_lr_lambda"],
                                 num_warmup_steps=kw["num_warmup_steps"],
                                 num_training_steps=kw["num_training_steps"],
                                 num_cycles=kw.get("num_cycles", 0.5))
    if function == "get_cosine_with_min_lr_schedule_with_warmup":
        min_lr, min_lr_rate = kw.get("min_lr"), kw.get("min_lr_rate")
        if min_lr is not None and min_lr_rate is not None:
            raise RequestError("Only one of min_lr or min_lr_rate should be set")
        if min_lr is not None:
            if base_lr is None:
                raise RequestError("min_lr needs base_lr (the optimizer's lr)")
            min_lr_rate = min_lr / base_lr
        elif min_lr_rate is None:
            raise RequestError("One of min_lr or min_lr_rate should be set")
        return functools.partial(ns["_get_cosine_schedule_with_warmup_lr_lambda"],
                                 num_warmup_steps=kw["num_warmup_steps"],
                                 num_training_steps=kw["num_training_steps"],
                                 num_cycles=kw.get("num_cycles", 0.5),
                                 min_lr_rate=min_lr_rate)
    if function == "get_polynomial_decay_schedule_with_warmup":
        if base_lr is None:
            raise RequestError("get_polynomial_decay_schedule_with_warmup needs base_lr (lr_init)")
        lr_end = kw.get("lr_end", 1e-7)
        if not (base_lr > lr_end):
            raise RequestError(f"lr_end ({lr_end}) must be smaller than initial lr ({base_lr})")
        return functools.partial(ns["_get_polynomial_decay_schedule_with_warmup_lr_lambda"],
                                 num_warmup_steps=kw["num_warmup_steps"],
                                 num_training_steps=kw["num_training_steps"],
                                 lr_end=lr_end, power=kw.get("power", 1.0), lr_init=base_lr)
    if function == "get_inverse_sqrt_schedule":
        timescale = kw.get("timescale")
        if timescale is None:
            timescale = kw["num_warmup_steps"] or 10_000
        return functools.partial(ns["_get_inverse_sqrt_schedule_lr_lambda"],
                                 num_warmup_steps=kw["num_warmup_steps"], timescale=timescale)
    if function == "get_wsd_schedule":
        training, stable = kw.get("num_training_steps"), kw.get("num_stable_steps")
        if training is None and stable is None:
            raise RequestError("Either num_training_steps or num_stable_steps must be specified.")
        warmup_type, decay_type = kw.get("warmup_type", "linear"), kw.get("decay_type", "cosine")
        for kind, value in (("warmup", warmup_type), ("decay", decay_type)):
            if value not in ("linear", "cosine", "1-sqrt"):
                raise RequestError(f"Unknown {kind} type: {value}, expected 'linear', 'cosine' or '1-sqrt'")
        if stable is None:
            stable = training - kw["num_warmup_steps"] - kw["num_decay_steps"]
        return functools.partial(ns["_get_wsd_scheduler_lambda"],
                                 num_warmup_steps=kw["num_warmup_steps"], num_stable_steps=stable,
                                 num_decay_steps=kw["num_decay_steps"], warmup_type=warmup_type,
                                 decay_type=decay_type, min_lr_ratio=kw.get("min_lr_ratio", 0),
                                 num_cycles=kw.get("num_cycles", 0.5))
    raise RequestError(f"unknown function {function!r}")


def main() -> int:
    try:
        requests = json.load(sys.stdin)
        if not isinstance(requests, list):
            raise RequestError("stdin must hold a JSON list of requests")
        path = optimization_source()
        namespace = load_lambdas(path)
        results = []
        for index, request in enumerate(requests):
            try:
                base_lr = request.get("base_lr")
                lr_lambda = make_lambda(namespace, request["function"], request.get("kwargs", {}), base_lr)
                multipliers = [lr_lambda(step) for step in range(int(request["steps"]))]
            except KeyError as missing:
                raise RequestError(f"request {index} ({request.get('id')!r}) lacks {missing}") from None
            result = {"id": request.get("id", index), "multipliers": multipliers}
            if base_lr is not None:
                result["lrs"] = [base_lr * value for value in multipliers]  # LambdaLR: base_lr * lmbda(epoch)
            results.append(result)
        version = importlib.metadata.version("transformers")
        json.dump({"transformers_version": version, "source": path, "results": results}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    except (RequestError, json.JSONDecodeError, ValueError, TypeError) as error:
        print(f"hf_schedules.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
