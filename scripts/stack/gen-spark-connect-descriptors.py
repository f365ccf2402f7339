"""Build the Spark Connect protocol descriptor set that the TypeScript client loads.

The pyspark wheel carries the protocol only as compiled `pyspark/sql/connect/proto/*_pb2.py` modules, each embedding
its serialized file descriptor. This script collects them (and the google/protobuf well-known types they import),
dependencies first, into one `FileDescriptorSet` for `@grpc/proto-loader`, so no .proto text is copied into the repo.

Usage: <venv>/bin/python scripts/stack/gen-spark-connect-descriptors.py <out-file>
"""

import importlib
import importlib.util
import pkgutil
import sys
import types
from pathlib import Path

from google.protobuf import descriptor_pb2

PROTO_PACKAGE = "pyspark.sql.connect.proto"


def stub_packages(dotted: str) -> None:
    """Register `dotted` and its parents as bare packages, so their `__init__` never runs.

    `pyspark.sql.connect/__init__.py` calls `check_dependencies()`, which demands pandas, pyarrow, grpcio and more
    (or, under `python -c`, prints "Skipping doctests" and exits 0). The `*_pb2` modules need only protobuf.
    """
    root = importlib.util.find_spec(dotted.split(".")[0])
    if root is None or not root.submodule_search_locations:
        sys.exit(f"{dotted.split('.')[0]} is not installed in this Python ({sys.executable}); pip install pyspark")
    base = Path(list(root.submodule_search_locations)[0])
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        name = ".".join(parts[:i])
        module = types.ModuleType(name)
        module.__path__ = [str(base.joinpath(*parts[1:i]))]
        sys.modules[name] = module


def proto_modules() -> list:
    stub_packages(PROTO_PACKAGE)
    path = sys.modules[PROTO_PACKAGE].__path__
    names = sorted(m.name for m in pkgutil.iter_modules(path) if m.name.endswith("_pb2"))
    return [importlib.import_module(f"{PROTO_PACKAGE}.{name}") for name in names]


def file_descriptor_set(modules: list) -> descriptor_pb2.FileDescriptorSet:
    out = descriptor_pb2.FileDescriptorSet()
    seen = set()

    def add(file_descriptor) -> None:
        if file_descriptor.name in seen:
            return
        seen.add(file_descriptor.name)
        for dependency in sorted(file_descriptor.dependencies, key=lambda d: d.name):
            add(dependency)
        file_descriptor.CopyToProto(out.file.add())

    for module in sorted(modules, key=lambda m: m.DESCRIPTOR.name):
        add(module.DESCRIPTOR)
    return out


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_path = Path(sys.argv[1])
    descriptor_set = file_descriptor_set(proto_modules())
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(descriptor_set.SerializeToString(deterministic=True))
    names = ", ".join(f.name for f in descriptor_set.file)
    print(f"wrote {out_path} ({out_path.stat().st_size} bytes, {len(descriptor_set.file)} files: {names})")


if __name__ == "__main__":
    main()
