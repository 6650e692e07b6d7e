"""Find text that does not fit: the checks behind tests/ui/test_nothing_cut_off.py.

`cut_off(root)` walks every visible widget under `root` and reports, in words, each label,
button, check box, radio button or combo box narrower than its text needs, each header
section narrower than its title, each tab elided or behind scroll arrows, each word-wrapped
label shorter than its lines, and each scroll area showing a horizontal scrollbar. Tabs are
each walked in turn.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
    QTabWidget,
    QWidget,
)

from app.ui.elided_label import ElidedLabel

SLACK = 1  # px: rounding in size hints


def cut_off(root: QWidget, where: str) -> list[str]:
    """Every truncation under `root`, each tab of each tab widget shown in turn."""
    QApplication.processEvents()
    found = _walk(root, where)
    for tabs in root.findChildren(QTabWidget):
        if not tabs.isVisible():
            continue
        current = tabs.currentIndex()
        for index in range(tabs.count()):
            tabs.setCurrentIndex(index)
            QApplication.processEvents()
            found += _walk(tabs.widget(index), f"{where}, tab {tabs.tabText(index)!r}")
        tabs.setCurrentIndex(current)
    return list(dict.fromkeys(found))


def _walk(root: QWidget, where: str) -> list[str]:
    found: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or widget.width() <= 0:
            continue
        problem = _problem(widget)
        if problem:
            found.append(f"{where}: {_describe(widget)} {problem}")
    return found


def _problem(widget: QWidget) -> str | None:
    if isinstance(widget, QLabel):
        return _label(widget)
    if isinstance(widget, QAbstractButton) and widget.text():
        return _too_narrow(widget.width(), widget.sizeHint().width())
    if isinstance(widget, QComboBox) and widget.currentText():
        return _too_narrow(widget.width(), _combo_needs(widget))
    if isinstance(widget, QHeaderView) and widget.orientation().name == "Horizontal":
        return _header(widget)
    if isinstance(widget, QTabBar):
        return _tabs(widget)
    if isinstance(widget, QAbstractScrollArea) and widget.horizontalScrollBar().isVisible():
        return "shows a horizontal scrollbar"
    return None


def _label(label: QLabel) -> str | None:
    if isinstance(label, ElidedLabel):
        return None  # free text that ends in "…" by design, whole in its tooltip
    if not label.text() or (label.pixmap() is not None and not label.pixmap().isNull()):
        return None
    if label.wordWrap():
        if label.hasHeightForWidth():
            needed = label.heightForWidth(label.width())
            if label.height() + SLACK < needed:
                return f"is {label.height()}px high, its lines need {needed}px"
        return None
    return _too_narrow(label.width(), label.sizeHint().width())


def _combo_needs(combo: QComboBox) -> int:
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    text = combo.fontMetrics().horizontalAdvance(combo.currentText())
    icon = combo.iconSize().width() + 4 if not combo.itemIcon(combo.currentIndex()).isNull() else 0
    size = combo.sizeHint()
    size.setWidth(text + icon)
    return (
        combo.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option, size, combo).width()
    )


def _header(header: QHeaderView) -> str | None:
    view = header.parentWidget()
    if isinstance(view, QAbstractItemView) and not view.isVisible():
        return None
    model = header.model()
    for logical in range(header.count()):
        if header.isSectionHidden(logical) or not model:
            continue
        title = model.headerData(logical, header.orientation())
        if not title:
            continue
        needed = header.sectionSizeHint(logical)
        if header.sectionSize(logical) + SLACK < needed:
            return (
                f"column {title!r} is {header.sectionSize(logical)}px wide, its title needs "
                f"{needed}px"
            )
    return None


def _tabs(bar: QTabBar) -> str | None:
    for index in range(bar.count()):
        rect, text = bar.tabRect(index), bar.tabText(index)
        if not bar.rect().contains(rect):
            return f"tab {text!r} lies outside the bar (behind its scroll arrows)"
        if bar.fontMetrics().horizontalAdvance(text) > rect.width():
            return f"tab {text!r} is {rect.width()}px wide, shorter than its text"
    return None


def _too_narrow(width: int, needed: int) -> str | None:
    return f"is {width}px wide, its text needs {needed}px" if width + SLACK < needed else None


def _describe(widget: QWidget) -> str:
    text = ""
    if isinstance(widget, QLabel | QAbstractButton):
        text = widget.text()
    elif isinstance(widget, QComboBox):
        text = widget.currentText()
    name = widget.objectName()
    label = f" {text[:60]!r}" if text else ""
    return f"{type(widget).__name__}{f' #{name}' if name else ''}{label}"
