"""The one block library every CMS page body is built from."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

RICH_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link", "hr"]


class ImageWithCaptionBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("图片"))
    caption = blocks.CharBlock(label=_("图注"), required=False, max_length=200)

    class Meta:
        icon = "image"
        label = _("图片（带图注）")
        template = "cms/blocks/image.html"


class HazardPairBlock(blocks.StructBlock):
    """隐患图例: the wrong way next to the right way."""

    wrong_image = ImageChooserBlock(label=_("错误做法图片"), required=False)
    wrong_caption = blocks.CharBlock(label=_("错误做法说明"), max_length=300)
    right_image = ImageChooserBlock(label=_("正确做法图片"), required=False)
    right_caption = blocks.CharBlock(label=_("正确做法说明"), max_length=300)

    class Meta:
        icon = "warning"
        label = _("隐患图例（错误/正确对照）")
        template = "cms/blocks/hazard_pair.html"


class VideoBlock(blocks.StructBlock):
    """A video file uploaded as a document (served by the platform itself: intranets are offline)."""

    video = DocumentChooserBlock(label=_("视频文件"), help_text=_("上传 MP4 格式的视频文档。"))
    caption = blocks.CharBlock(label=_("说明"), required=False, max_length=200)

    class Meta:
        icon = "media"
        label = _("视频")
        template = "cms/blocks/video.html"


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("类型"),
        choices=[("info", _("提示")), ("warn", _("注意")), ("danger", _("重大隐患"))],
        default="info",
    )
    title = blocks.CharBlock(label=_("标题"), required=False, max_length=100)
    text = blocks.RichTextBlock(label=_("内容"), features=["bold", "italic", "link", "ul", "ol"])

    class Meta:
        icon = "help"
        label = _("提示框")
        template = "cms/blocks/callout.html"


class ClauseReferenceBlock(blocks.StructBlock):
    clause = SnippetChooserBlock("cms.Clause", label=_("条款"))
    note = blocks.CharBlock(label=_("说明"), required=False, max_length=300)

    class Meta:
        icon = "doc-full"
        label = _("条款引用")
        template = "cms/blocks/clause_ref.html"


class BodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(label=_("段落"), features=RICH_FEATURES, template="cms/blocks/paragraph.html")
    image = ImageWithCaptionBlock()
    hazard_pair = HazardPairBlock()
    video = VideoBlock()
    table = TableBlock(label=_("表格"), template="cms/blocks/table.html")
    callout = CalloutBlock()
    clause = ClauseReferenceBlock()

    class Meta:
        label = _("正文")


class GuideStepBlock(blocks.StructBlock):
    """One step of a hazard-check guide: what to check, how, what counts as a major hazard, how to fix."""

    title = blocks.CharBlock(label=_("步骤标题"), max_length=120)
    what = blocks.TextBlock(label=_("查什么"))
    how = blocks.TextBlock(label=_("怎么查"))
    major_hazard = blocks.TextBlock(label=_("判定为重大事故隐患的情形"), required=False)
    fix = blocks.TextBlock(label=_("如何整改"), required=False)
    clauses = blocks.ListBlock(SnippetChooserBlock("cms.Clause"), label=_("依据条款"), required=False)
    pictures = blocks.ListBlock(ImageWithCaptionBlock(), label=_("图片"), required=False)
    pairs = blocks.ListBlock(HazardPairBlock(), label=_("隐患图例"), required=False)

    class Meta:
        icon = "list-ol"
        label = _("排查步骤")
        template = "cms/blocks/guide_step.html"


class StepsBlock(blocks.StreamBlock):
    step = GuideStepBlock()


class ExamplesBlock(blocks.StreamBlock):
    """隐患图例 attached to a clause."""

    hazard_pair = HazardPairBlock()
    image = ImageWithCaptionBlock()
    paragraph = blocks.RichTextBlock(label=_("说明"), features=RICH_FEATURES, template="cms/blocks/paragraph.html")
