"""The public page of published audit chain heads, in HTML and as plain text to keep."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from config.page_cache import public_page
from feedback.audit import PublishedChainHead, published_line


# A head is published each day: kept a short while, like the performance pages.
@public_page(setting="PERFORMANCE_PAGE_CACHE_SECONDS")
def audit_chain_heads(request):
    heads = PublishedChainHead.objects.order_by("-date")
    return render(request, "feedback/audit_chain.html", {"heads": heads})


@public_page(setting="PERFORMANCE_PAGE_CACHE_SECONDS")
def audit_chain_heads_text(request):
    """One `DATE SEQ HASH` line per day, newest first: the file `verify_audit_chain --published`
    reads. Comment lines start with #; they are in the reader's language."""
    lines = [
        "# " + _("Mrejesho audit chain: the head published each day (date, position, hash)."),
        "# "
        + _("Keep this file. Check it later with: manage.py verify_audit_chain --published FILE"),
    ]
    lines += [
        published_line(head.date, head.seq, head.hash)
        for head in PublishedChainHead.objects.order_by("-date")
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="mrejesho-audit-chain.txt"'
    return response
