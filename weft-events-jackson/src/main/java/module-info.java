/** The Jackson codec for weft-events' JSON wire format (E8). */
module dev.weft.events.jackson {
    requires transitive dev.weft.events;
    requires transitive com.fasterxml.jackson.databind;

    exports dev.weft.events.jackson;
}
