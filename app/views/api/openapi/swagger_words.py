"""The words Swagger UI draws itself (it has no translations): the API documentation page
hands them to app/static/portal/api_docs.js in the page's language, which puts them in place
of the English ones. Only exact matches are replaced, so the document's text is untouched."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

WORDS = {
    "Try it out": _l("Try it out"),
    "Cancel": _l("Cancel"),
    "Execute": _l("Execute"),
    "Clear": _l("Clear"),
    "Authorize": _l("Authorize"),
    "Authorized": _l("Authorized"),
    "Available authorizations": _l("Available authorizations"),
    "Logout": _l("Logout"),
    "Close": _l("Close"),
    "Parameters": _l("Parameters"),
    "No parameters": _l("No parameters"),
    "Request body": _l("Request body"),
    "Responses": _l("Responses"),
    "Response body": _l("Response body"),
    "Response headers": _l("Response headers"),
    "Request URL": _l("Request URL"),
    "Request duration": _l("Request duration"),
    "Server response": _l("Server response"),
    "Response content type": _l("Response content type"),
    "Example Value": _l("Example Value"),
    "Example Description": _l("Example Description"),
    "Schema": _l("Schema"),
    "Schemas": _l("Schemas"),
    "Media type": _l("Media type"),
    "Details": _l("Details"),
    "Links": _l("Links"),
    "No links": _l("No links"),
    "Code": _l("Code"),
    "Description": _l("Description"),
    "Name": _l("Name"),
    "Value:": _l("Value:"),
    "Download": _l("Download"),
    "Reset": _l("Reset"),
    "Send empty value": _l("Send empty value"),
    "Curl": _l("Curl"),
    "Servers": _l("Servers"),
    "Failed to load API definition.": _l("Failed to load API definition."),
    "Edit Value": _l("Edit Value"),
    "Headers:": _l("Headers:"),
    "Type": _l("Type"),
    # "Controls <code>Accept</code> header.": three text nodes around the header's name
    "Controls": _l("Controls"),
    "header.": _l("header."),
    # its checks of a value typed into "Try it out"
    "Required field is not provided": _l("Required field is not provided"),
    "Parameter string value must be valid JSON": _l("Parameter string value must be valid JSON"),
    "Value must be a boolean": _l("Value must be a boolean"),
    "Value must be a file": _l("Value must be a file"),
    "Value must be a number": _l("Value must be a number"),
    "Value must be a string": _l("Value must be a string"),
    "Value must be an integer": _l("Value must be an integer"),
}


def swagger_words(lang: str) -> dict[str, str]:
    """{English: the page's word} for a zh page; nothing to replace on an English one."""
    if lang == "en":
        return {}
    return {english: str(word) for english, word in WORDS.items()}
