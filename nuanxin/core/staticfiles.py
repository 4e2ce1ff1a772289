"""Django's staticfiles app, told to leave out what the npm packages ship beside the files the
pages load (source maps, module and unminified builds, ECharts' extensions and full builds):
`collectstatic` then copies, hashes and compresses a few hundred kilobytes, not 50 MB."""

from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesConfig(DjangoStaticFilesConfig):
    ignore_patterns = [
        *DjangoStaticFilesConfig.ignore_patterns,
        "*.map",
        "*.mjs",
        "*.ts",
        "*.esm.*",
        "*.cjs.*",
        "*.amd.*",
        "*-src.js",
        "*-src.esm.js",
        "extension",
        "echarts.js",
        "echarts.min.js",
        "echarts.common.js",
        "echarts.simple*",
        "htmx.js",
        "ext",
        "package.json",
        "*.gz",
    ]


class CompressedManifestStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's hashed and compressed files, rewriting stylesheets' url() and @import only:
    the scripts' source-map comments point at maps that are left out (above), so they are not
    followed."""

    patterns = tuple(
        (extension, tuple(p for p in found if "sourceMappingURL" not in str(p)))
        for extension, found in CompressedManifestStaticFilesStorage.patterns
        if extension == "*.css"
    )
