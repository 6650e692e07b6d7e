"""Drop-to-summarise and questions about documents, in the window (thin over app.core.documents).

`drop_controller.DropController` is the feature; it is attached after the first paint, so this
package imports nothing itself (the window's drop overlay lives here too)."""
