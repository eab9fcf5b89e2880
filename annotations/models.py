# Annotations arrive with their own issue; the app exists so the layout is the final one.
