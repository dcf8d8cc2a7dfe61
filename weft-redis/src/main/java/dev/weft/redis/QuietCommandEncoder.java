package dev.weft.redis;

import io.lettuce.core.protocol.CommandEncoder;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.EncoderException;
import java.util.Collection;

/**
 * Lettuce's command encoder without its logging. Lettuce's own {@link CommandEncoder} writes, at
 * TRACE level, every byte it sends, and the handshake it sends holds the password
 * ({@code AUTH user password}, or {@code HELLO 3 AUTH ...}); anyone who turns on TRACE for
 * {@code io.lettuce} (to debug something else) would have it in their logs. Every channel a
 * Weft link opens gets this encoder instead ({@link #CUSTOMIZER}), so no logging configuration
 * can make Weft's connections log a password.
 */
// Implementer's note. Lettuce (7.x) puts its CommandEncoder into every channel's pipeline
// (ConnectionBuilder.buildHandlers, plain and TLS) and then calls the client resources'
// NettyCustomizer.afterChannelInitialized, also for every reconnect. There we swap the encoder.
// Encoding is the command's own job (RedisCommand.encode); what Lettuce's encoder adds besides the
// log lines is closing the channel when a command cannot be encoded (the connection would be out of
// step), which this one does too. If a later Lettuce has no CommandEncoder in the pipeline, the
// customizer fails the connect (loudly, in tests) rather than connect with an encoder it cannot vouch for.
final class QuietCommandEncoder extends CommandEncoder {

    /** Replaces Lettuce's encoder in every channel a client with these resources opens. */
    static final NettyCustomizer CUSTOMIZER = new NettyCustomizer() {
        @Override
        public void afterChannelInitialized(Channel channel) {
            ChannelPipeline p = channel.pipeline();
            ChannelHandlerContext encoder = p.context(CommandEncoder.class);
            if (encoder == null) {
                throw new IllegalStateException("Lettuce's channel has no CommandEncoder to replace; this Lettuce version is not supported by weft-redis");
            }
            if (!(encoder.handler() instanceof QuietCommandEncoder)) p.replace(encoder.name(), encoder.name(), new QuietCommandEncoder());
        }
    };

    QuietCommandEncoder() {
        super();
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, ByteBuf out) {
        if (msg instanceof RedisCommand<?, ?, ?> command) {
            encode(ctx, out, command);
        } else if (msg instanceof Collection<?> commands) {
            for (Object command : commands) encode(ctx, out, (RedisCommand<?, ?, ?>) command);
        }
    }

    private static void encode(ChannelHandlerContext ctx, ByteBuf out, RedisCommand<?, ?, ?> command) {
        try {
            command.encode(out);
        } catch (RuntimeException e) {
            ctx.close(); // what was written may be half a command: the connection cannot be trusted
            throw new EncoderException("cannot encode a " + command.getType() + " command; the connection was closed (Lettuce reconnects it)", e);
        }
    }
}
