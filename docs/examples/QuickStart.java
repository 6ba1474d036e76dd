import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * README's quick start as a file you can run without a build tool (Java 17+):
 *
 *   mvn -B -q package -DskipTests
 *   java -cp lstm4j-core/target/classes docs/examples/QuickStart.java
 */
public class QuickStart {
    public static void main(String[] args) {
        LSTM rnn = new LSTM(10, 20, 2);                      // rnn = nn.LSTM(10, 20, 2)
        Tensor input = Tensor.randn(0, 5, 3, 10);           // input = torch.randn(5, 3, 10)
        Tensor h0 = Tensor.randn(1, 2, 3, 20);              // h0 = torch.randn(2, 3, 20)
        Tensor c0 = Tensor.randn(2, 2, 3, 20);              // c0 = torch.randn(2, 3, 20)
        LSTM.Output out = rnn.forward(input, h0, c0);       // output, (hn, cn) = rnn(input, (h0, c0))

        System.out.println(out.output().shapeString());     // [5, 3, 20]  (L, N, H_out)
        System.out.println(out.hN().shapeString());         // [2, 3, 20]  (num_layers, N, H_out)
        System.out.println(out.output().select(0, -1)       // output[-1] == hn[-1]
                .equals(out.hN().select(0, -1)));           // true
    }
}
