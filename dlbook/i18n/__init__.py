"""The Chinese edition (中文版), made from the English sources and gettext catalogues.

segments: a page's markdown cut into messages; catalog: the ``.po`` files and their state;
worksheet: open entries as editable text; edition: the Chinese notebooks and website.
``python -m dlbook.i18n --help`` lists the commands.
"""
