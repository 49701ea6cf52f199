"""Builds engram's Python extension with the project's CMake (see pyproject.toml).

Environment: ENGRAM_CMAKE_ARGS adds arguments to the CMake configure step;
CMAKE_BUILD_PARALLEL_LEVEL sets the build's parallelism (default: CPU count).
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    """Configures the project with only the Python module enabled and builds it."""

    def build_extension(self, ext):
        build_dir = Path(self.build_temp).resolve() / "cmake"
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython3_EXECUTABLE={sys.executable}",
            "-DENGRAM_BUILD_PYTHON=ON", "-DENGRAM_PYTHON_REQUIRED=ON",
            "-DENGRAM_BUILD_TESTS=OFF", "-DENGRAM_BUILD_BENCHMARKS=OFF",
            "-DENGRAM_BUILD_EXAMPLES=OFF", "-DENGRAM_BUILD_TOOLS=OFF",
        ] + shlex.split(os.environ.get("ENGRAM_CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_engram", "-j", jobs], check=True)
        built = sorted((build_dir / "python" / "engram").glob("_engram*.so"))
        if not built:
            raise RuntimeError(f"CMake built no _engram module in {build_dir / 'python' / 'engram'}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    ext_modules=[CMakeExtension("engram._engram")],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": "build/python-wheel"}},
)
